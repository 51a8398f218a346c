"""Compare methods on one teacher and one budget, over seeds: rows, summaries, a table.

    rows = compare_methods(["ddad", "dfad", "dafl"], profile="quick", seeds=(0, 1))
    table = summarize(rows)
    print(markdown_table(table))

Every method runs through the same engine with the same teacher, dataset recipe, profile
and overrides (so the same number of iterations, student steps and batch size), one run per
(method, seed). A row holds the student's final, mean and best accuracy over the
evaluations (best is chosen on the real test split, so it is optimistic; final and mean are
not selected), the forgetting measure (`forgetting_max_drop`: the largest drop of accuracy
from one evaluation to a later one), the wall and training time, and the accuracy curve.

With `out_root`, each run lives in its own folder under it (`run_folder`: method, seed and
config fingerprint); a finished run of the same config is read back instead of run again
("load it if it exists, otherwise train"), one cut short is resumed from its checkpoint
(`run_or_load`), and notebooks that share `out_root` share runs.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from .configure import make_config
from .errors import UserError
from .runs.store import load_history, run_folder, run_or_load
from .teacher import load_or_train_teacher

SUMMARY_FIELDS = ("final", "mean", "best", "forgetting", "wall_seconds")


def compare_methods(methods, *, dataset: str = "shapes", profile: str = "quick", seeds=(0,),
                    teacher=None, out_root=None, cache_dir=None, progress: bool = False,
                    **overrides) -> list[dict]:
    """Run every method in `methods` for every seed; returns one row per run.

    `teacher` may be given as (model, record); otherwise the recipe's teacher is loaded from
    (or trained into) the cache. `overrides` apply to every run (e.g. iterations=60).
    """
    if not methods:
        raise UserError("compare_methods needs at least one method, e.g. ['ddad', 'dfad']")
    temporary = None
    if out_root is None:
        temporary = tempfile.TemporaryDirectory(prefix="ddad-compare-")
        out_root = temporary.name
    rows = []
    try:
        for method in methods:
            for seed in seeds:
                cfg = make_config(dataset, method, profile, seed=seed, progress=progress,
                                  **overrides)
                if teacher is None:
                    teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir,
                                                    data_root=cfg.data_root,
                                                    device=cfg.device, progress=progress)
                run_dir = run_folder(out_root, cfg)
                metrics = run_or_load(cfg, run_dir, teacher=teacher)
                rows.append(_row(metrics, run_dir, keep_dir=temporary is None))
    finally:
        if temporary is not None:
            temporary.cleanup()
    return rows


def _row(metrics: dict, run_dir: Path, *, keep_dir: bool) -> dict:
    key = "student_acc" if "student_acc" in metrics else "student_miou"
    history = load_history(run_dir)
    row = {
        "method": metrics["method"],
        "seed": metrics["seed"],
        "final": metrics[key],
        "mean": metrics["mean_" + key],
        "best": metrics["best_" + key],
        "forgetting": metrics["forgetting_max_drop"],
        "wall_seconds": metrics["wall_seconds"],
        "train_seconds": metrics["train_seconds"],
        "teacher_score": metrics.get("teacher_" + key.removeprefix("student_")),
        "iterations": metrics["iterations"],
        "curve": [(e["iteration"], e[key]) for e in history["eval"]],
        "run_dir": str(run_dir) if keep_dir else None,
    }
    for k in ("replay_memory_bytes", "replay_equivalent_samples_bytes",
              "replay_equivalent_samples_bytes_float32"):
        if k in metrics:
            row[k] = metrics[k]
    return row


def summarize(rows: list[dict]) -> list[dict]:
    """One row per method: mean and standard deviation over seeds of each summary field."""
    by_method: dict[str, list[dict]] = {}
    for row in rows:
        by_method.setdefault(row["method"], []).append(row)
    out = []
    for method, runs in by_method.items():
        entry = {"method": method, "seeds": len(runs)}
        for field in SUMMARY_FIELDS:
            values = [r[field] for r in runs if r[field] is not None]
            entry[field] = statistics.fmean(values) if values else None
            entry[field + "_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        out.append(entry)
    return out


def markdown_table(summary: list[dict], *, percent: bool = True) -> str:
    """A markdown table of `summarize(rows)`: final, mean, best, forgetting and wall time."""
    scale, unit = (100.0, " (%)") if percent else (1.0, "")

    def cell(entry, field):
        v, s = entry[field], entry.get(field + "_std", 0.0)
        if v is None:
            return "n/a"
        if field == "wall_seconds":
            return f"{v:.0f}" + (f" ± {s:.0f}" if entry["seeds"] > 1 else "")
        return f"{v * scale:.1f}" + (f" ± {s * scale:.1f}" if entry["seeds"] > 1 else "")

    header = (f"| method | seeds | final{unit} | mean{unit} | best{unit} (on test) "
              f"| forgetting{unit} | wall time (s) |")
    lines = [header, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for e in summary:
        lines.append(f"| {e['method']} | {e['seeds']} | " + " | ".join(
            cell(e, f) for f in SUMMARY_FIELDS) + " |")
    return "\n".join(lines)
