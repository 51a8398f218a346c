"""report.html and report.png of one run folder: what a person opens to see a run.

    write_run_report("runs/ddad")   # -> runs/ddad/report.html (and report.png beside it)

The page is self-contained (reports/page.py): the headline figures of metrics.json, the curves
of every logged loss (L_S, L_G and each term of L_G) and of the student's score on the test and
validation splits, G's images over training from the run's snapshots, how often the student
agrees with the teacher on them, the BN match per layer where the method records it (R_l of
`history["bn_layers"]`), and the full config. report.png is one picture of the same run. Both
are written atomically; the figures are drawn small (viz/report_figures.py), so writing the
report costs well under the time of the smallest run.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError
from ..files import load_torch, save_bytes, save_text
from . import page

HEADLINE = ("dataset", "method", "profile", "teacher", "student", "generator", "teacher_acc",
            "student_acc", "mean_student_acc", "best_student_acc", "teacher_miou",
            "student_miou", "best_student_miou", "forgetting_max_drop", "iterations",
            "wall_seconds", "images_per_second", "amp_enabled", "amp_dtype", "seed", "device",
            "device_name", "git_commit", "date")


def read_run(run_dir) -> dict:
    """metrics, history and snapshots of a finished run folder (one line if it is not one)."""
    run = Path(run_dir)
    missing = [name for name in ("metrics.json", "history.json") if not (run / name).is_file()]
    if missing:
        raise UserError(f"{run} is not a finished run folder (no {', '.join(missing)}); give "
                        "the --out folder of a distill run")
    snapshots_path = run / "snapshots.pt"
    snapshots = (load_torch(snapshots_path, what="snapshots file",
                            hint="run the distillation again")
                 if snapshots_path.is_file() else [])
    return {"name": run.name, "dir": run,
            "metrics": json.loads((run / "metrics.json").read_text()),
            "history": json.loads((run / "history.json").read_text()),
            "snapshots": list(snapshots)}


def primary_metric(metrics: dict) -> str:
    return "student_miou" if "student_miou" in metrics else "student_acc"


def teacher_score(metrics: dict):
    return metrics.get("teacher_" + primary_metric(metrics).removeprefix("student_"))


def headline(metrics: dict) -> list[dict]:
    return [{"figure": k, "value": metrics[k]} for k in HEADLINE if k in metrics]


def run_sections(run: dict) -> list[str]:
    """The figures of one run as HTML parts (heading, picture, a line of explanation)."""
    # import cost: matplotlib (~1 s), loaded only once a report is drawn
    from ..viz.bn import bn_layers_over_time
    from ..viz.report_figures import (
        agreement_figure,
        snapshots_over_training,
        training_curves_figure,
    )

    metrics, history, snapshots = run["metrics"], run["history"], run["snapshots"]
    metric = primary_metric(metrics)
    parts = [page.heading("Training curves"),
             page.paragraph("Every logged loss on its own axis (L_S, L_G and the terms of "
                            "L_G), then the student's score on real data: the test split "
                            "reports, the validation split chooses the best evaluation."),
             page.figure_tag(training_curves_figure(history, metric=metric,
                                                    teacher_score=teacher_score(metrics)),
                             "training curves")]
    if snapshots:
        parts += [page.heading("Generated images over training"),
                  page.paragraph("G(z) for the same fixed z at each snapshot, one row per "
                                 "iteration."),
                  page.figure_tag(snapshots_over_training(snapshots), "generated images"),
                  page.heading("Teacher and student"),
                  page.figure_tag(agreement_figure(snapshots), "agreement")]
    if history.get("bn_layers"):
        parts += [page.heading("BN match per layer"),
                  page.paragraph("R_l: the distance of the batch statistics of G's images "
                                 "from the teacher's running statistics, per BN layer."),
                  page.figure_tag(bn_layers_over_time(history["bn_layers"]), "BN match")]
    return parts


def write_run_report(run_dir) -> Path:
    """Write `run_dir/report.html` and `run_dir/report.png`; returns the HTML's path."""
    # import cost: matplotlib (~1 s), loaded only once a report is drawn
    from ..viz.report_figures import report_summary_figure

    run = read_run(run_dir)
    metrics = run["metrics"]
    title = (f"{metrics.get('method')} on {metrics.get('dataset')} "
             f"({metrics.get('profile')} profile): {run['name']}")
    summary = report_summary_figure(run["history"], run["snapshots"],
                                    metric=primary_metric(metrics),
                                    teacher_score=teacher_score(metrics), title=title)
    png = page.png_bytes(summary)
    parts = [page.table(headline(metrics), ["figure", "value"]),
             page.image_tag(png, "summary"), *run_sections(run),
             page.preformatted(json.dumps(metrics.get("config", {}), indent=1, default=str),
                               "config")]
    out = Path(run_dir)
    save_bytes(out / "report.png", png)
    save_text(out / "report.html", page.html_page(title, parts))
    return out / "report.html"


def snapshot_png(snapshot: dict, class_names=()) -> bytes:
    """One snapshot's images (G(fixed z) with T's and S's predictions) as PNG bytes."""
    # import cost: matplotlib (~1 s), loaded only once a report is drawn
    from ..viz.images import snapshot_figure

    return page.png_bytes(snapshot_figure(snapshot, class_names=class_names), dpi=90)
