"""Several methods x seeds on one teacher and one budget: a row per run, a summary per method.

    rows = sweep(["ddad", "dfad", "dafl"], profile="quick", seeds=(0, 1), out_root="runs/x")
    summary = summarize(rows)
    print(sweep_table(summary))

Every method runs through the same engine with the same teacher, dataset recipe, profile and
overrides (so the same number of iterations, student steps and batch size, hence the same
number of synthetic images), one run per (method, seed). A row holds the student's final, mean
and best test score over the evaluations (accuracy, or mIoU for segmentation; best is the test
score of the evaluation chosen on the validation split, `selected_on` names the chooser, and
`best_on_test` the optimistic maximum on the test split itself; final and mean are not
selected), the forgetting (`forgetting_max_drop`: the largest drop of the score from one
evaluation to a later one), the collapse measure on the last generated batch (the teacher's
normalised class entropy, near 0: the generator collapsed onto a few classes, and its
effective number of classes), the wall and training time, the generator's loss weights, the
score curve, the full history and, for "+replay" and "+buffer" methods, their memory fields.

The ablation of DDAD's two discriminators is a sweep over `ABLATION_METHODS`. With x = G(z),
the generator's loss is L_G = w_bn L_BN(T, x) - w_adv D(S(x), T(x)):

    bn_only  w_adv = 0   the teacher is the only discriminator (BN statistics)
    dfad     w_bn = 0    the student is the only discriminator (adversarial only, DFAD)
    ddad     both        the dual-discriminator objective

With `out_root`, each run lives in its own folder under it (`store.run_folder`: method, seed
and config fingerprint); a finished run of the same config is read back instead of run again,
one cut short is resumed (`store.run_or_load`), and notebooks that share `out_root` share runs.
Without it, the runs go to a temporary folder, removed at the end.

Over several devices (`devices=["cuda:0", "cuda:1"]`, or `["cpu", "cpu"]`; the command line's
`sweep --devices`): the same runs, each in a process of its own (`python -m
ddad_lite.runs.sweep JOB`), queued over the devices, one run per device entry at a time (a
device named twice runs two at a time). The teacher is trained or loaded once, before any
run starts; each run writes `logs/<run folder>.log` under `out_root`; the rows are read back
from the runs' folders, so the table is the same as from the in-process sweep. On CPUs each
process gets cores / (number of entries) threads unless OMP_NUM_THREADS is set.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..config.building import make_config
from ..errors import UserError
from ..files import save_json, save_text
from ..tables import Column, markdown_table
from ..teacher import load_or_train_teacher
from .store import load_history, run_folder, run_or_load

ABLATION_METHODS = ("bn_only", "dfad", "ddad")
# The fields `summarize` averages over seeds.
SUMMARY_FIELDS = ("final", "mean", "best", "best_on_test", "forgetting", "class_entropy",
                  "effective_classes", "wall_seconds")
BEST_FOOTNOTES = {
    "validation": ("*best: the test score of the evaluation that scored best on the validation "
                   "split (held-out train images); final and mean are not selected."),
    "test": ("*best: the maximum over evaluations on the real test split (optimistic, as "
             "published numbers); final and mean are not selected."),
}


def sweep(methods, *, dataset: str = "shapes", profile: str = "quick", seeds=(0,),
          teacher=None, out_root=None, cache_dir=None, progress: bool = False,
          devices=None, **overrides) -> list[dict]:
    """Run every method in `methods` for every seed; returns one row per run (`run_row`),
    methods in the order given, seeds within each.

    `teacher` may be given as (model, record); otherwise the recipe's teacher is loaded from
    (or trained into) the cache. `overrides` go to `make_config` for every run (e.g.
    iterations=60, device="cuda"). `devices`: one process per run, queued over them (module
    docstring; needs `out_root` and the cached teacher, not a model).
    """
    if not methods:
        raise UserError("a sweep needs at least one method, e.g. ['ddad', 'dfad']")
    if devices:
        if teacher is not None or out_root is None:
            raise UserError("a sweep over devices runs each run in its own process: give "
                            "out_root and let the teacher come from the cache (no model)")
        return sweep_over_devices(methods, devices=devices, dataset=dataset, profile=profile,
                                  seeds=seeds, out_root=out_root, cache_dir=cache_dir,
                                  **overrides)
    temporary = None
    if out_root is None:
        temporary = tempfile.TemporaryDirectory(prefix="ddad-sweep-")
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
                rows.append(run_row(metrics, load_history(run_dir),
                                    run_dir=None if temporary else run_dir))
    finally:
        if temporary is not None:
            temporary.cleanup()
    return rows


def run_row(metrics: dict, history: dict, *, run_dir: Path | None = None) -> dict:
    """One run as a row: see the module's docstring for the fields."""
    key = "student_acc" if "student_acc" in metrics else "student_miou"
    return {
        "method": metrics["method"],
        "seed": metrics["seed"],
        "final": metrics[key],
        "mean": metrics["mean_" + key],
        "best": metrics["best_" + key],
        "best_on_test": metrics.get("best_on_test_" + key, metrics["best_" + key]),
        "selected_on": "validation" if "validation" in metrics.get("best_selected_on", "")
                       else "test",
        "forgetting": metrics["forgetting_max_drop"],
        "class_entropy": metrics.get("teacher_class_entropy_final"),
        "effective_classes": metrics.get("teacher_effective_classes_final"),
        "wall_seconds": metrics["wall_seconds"],
        "train_seconds": metrics["train_seconds"],
        "teacher_score": metrics.get("teacher_" + key.removeprefix("student_")),
        "iterations": metrics["iterations"],
        "weights": loss_weights(metrics["config"]),
        "curve": [(e["iteration"], e[key]) for e in history["eval"]],
        "history": history,
        "run_dir": None if run_dir is None else str(run_dir),
        **{k: v for k, v in metrics.items() if k.startswith(("replay_", "buffer_"))},
    }


def loss_weights(config: dict) -> dict:
    """The generator's loss weights {"bn": w_bn, "adversarial": w_adv} of a run's config (as
    in metrics.json): the settings of its base method (`"ddad+replay"` -> `"ddad"`) in
    `config["method_settings"]`; None for a weight the method does not have."""
    base = config["method"].split("+")[0]
    settings = (config.get("method_settings") or {}).get(base) or {}
    return {"bn": settings.get("bn"), "adversarial": settings.get("adversarial")}


def summarize(rows: list[dict]) -> list[dict]:
    """One entry per method (in the rows' order): the number of seeds (and `seed_values`), the
    loss weights, what chose the best (`selected_on`), the mean and standard deviation over
    seeds of each of `SUMMARY_FIELDS` (`<field>_std`, 0.0 for a single seed) and every point
    (`points[field]`, one value per seed)."""
    by_method: dict[str, list[dict]] = {}
    for row in rows:
        by_method.setdefault(row["method"], []).append(row)
    out = []
    for method, runs in by_method.items():
        entry = {"method": method, "seeds": len(runs), "weights": runs[0]["weights"],
                 "seed_values": [r["seed"] for r in runs],
                 "selected_on": "/".join(sorted({r.get("selected_on", "test") for r in runs})),
                 "points": {f: [r.get(f) for r in runs] for f in SUMMARY_FIELDS}}
        for field in SUMMARY_FIELDS:
            values = [r.get(field) for r in runs if r.get(field) is not None]
            entry[field] = statistics.fmean(values) if values else None
            entry[field + "_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        out.append(entry)
    return out


def sweep_table(summary: list[dict], *, percent: bool = True, weights: bool = False,
                entropy: bool = False) -> str:
    """Markdown of `summarize(rows)`: final, mean, best, forgetting and wall time per method,
    "mean ± std" over seeds where there are several; the footnote names what chose the best.
    `weights` adds the generator's loss weights, `entropy` the collapse measure (normalised
    class entropy and effective number of classes) on the last generated batch."""
    unit = " (%)" if percent else ""
    score = dict(digits=1 if percent else 3, percent=percent, right=True)
    columns = [Column("method"), Column("seeds", right=True)]
    if weights:
        columns += [Column("w_bn", "w_bn", right=True), Column("w_adv", "w_adv", right=True)]
    columns += [Column(f"final{unit}", "final", **score), Column(f"mean{unit}", "mean", **score),
                Column(f"best*{unit}", "best", **score),
                Column(f"forgetting{unit}", "forgetting", **score)]
    if entropy:
        columns += [Column("class entropy (H/ln C)", "class_entropy", digits=2, right=True),
                    Column("effective classes", "effective_classes", digits=1, right=True)]
    columns.append(Column("wall time (s)", "wall_seconds", digits=0, right=True))

    def cells(entry):
        row = {"method": entry["method"], "seeds": entry["seeds"],
               "w_bn": entry["weights"]["bn"], "w_adv": entry["weights"]["adversarial"]}
        for field in SUMMARY_FIELDS:
            several = entry["seeds"] > 1 and entry[field] is not None
            row[field] = (entry[field], entry[field + "_std"]) if several else entry[field]
        return row

    choosers = {c for e in summary for c in e.get("selected_on", "test").split("/")}
    footnote = " ".join(BEST_FOOTNOTES[c] for c in sorted(choosers, reverse=True))
    return markdown_table(columns, map(cells, summary), footnote=footnote)


def write_seed_summary(rows: list[dict], out_dir) -> dict:
    """`out_dir/summary.json` (per method: mean, std and every point over seeds, what chose
    the best) and `out_dir/summary.md` (`sweep_table`); returns the JSON's content."""
    out = Path(out_dir)
    summary = summarize(rows)
    runs = [{k: v for k, v in r.items() if k not in ("history", "curve")} for r in rows]
    content = {"summary": summary, "runs": runs}
    save_json(out / "summary.json", content)
    percent = all(r["final"] is None or 0 <= r["final"] <= 1 for r in rows)
    save_text(out / "summary.md", sweep_table(summary, percent=percent, entropy=True) + "\n")
    return content


# ---- one process per run, queued over devices ---------------------------------------------------
def sweep_over_devices(methods, *, devices, dataset: str = "shapes", profile: str = "quick",
                       seeds=(0,), out_root, cache_dir=None, poll_seconds: float = 0.2,
                       **overrides) -> list[dict]:
    """`sweep` with each run in a process of its own, at most one per entry of `devices` at a
    time; returns the rows in the in-process sweep's order. A run that fails does not stop the
    others; at the end one line names the failed runs and their logs."""
    if "device" in overrides or "seed" in overrides:
        raise UserError("a sweep takes its devices and seeds as lists (--devices, --seeds), "
                        "not --device or --seed")
    overrides.pop("progress", None)  # runs in their own processes log to files, no bars
    jobs = []
    for method in methods:
        for seed in seeds:
            cfg = make_config(dataset, method, profile, seed=seed, progress=False, **overrides)
            jobs.append({"dataset": dataset, "method": method, "profile": profile, "seed": seed,
                         "overrides": overrides, "cache_dir": _text(cache_dir),
                         "run_dir": str(run_folder(out_root, cfg))})
    # The teacher once, before any run (parallel runs would each train it).
    load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir, data_root=cfg.data_root,
                          device=devices[0], progress=False)
    logs = Path(out_root) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    threads = str(max(1, (os.cpu_count() or 1) // len(devices)))
    waiting, running, failed = list(jobs), {}, []  # running: device slot -> (job, process)
    while waiting or running:
        for slot, device in enumerate(devices):
            if slot not in running and waiting:
                job = {**waiting.pop(0), "device": device}
                log = open(logs / f"{Path(job['run_dir']).name}.log", "w")  # noqa: SIM115
                env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS",
                                                                       threads)}
                process = subprocess.Popen([sys.executable, "-m", "ddad_lite.runs.sweep",
                                            json.dumps(job)], stdout=log,
                                           stderr=subprocess.STDOUT, env=env)
                running[slot] = (job, process, log)
        for slot, (job, process, log) in list(running.items()):
            if process.poll() is not None:
                log.close()
                if process.returncode != 0:
                    failed.append(f"{job['method']} seed {job['seed']} ({log.name})")
                del running[slot]
        time.sleep(poll_seconds)
    if failed:
        raise UserError(f"{len(failed)} of {len(jobs)} runs failed: {'; '.join(failed)}; "
                        "rerun the sweep to resume them, finished runs are kept")
    rows = []
    for job in jobs:
        metrics = json.loads((Path(job["run_dir"]) / "metrics.json").read_text())
        rows.append(run_row(metrics, load_history(job["run_dir"]), run_dir=job["run_dir"]))
    return rows


def run_job(job: dict) -> None:
    """One run of a sweep over devices, in its own process: read back if finished, resumed
    if cut short (`store.run_or_load`)."""
    cfg = make_config(job["dataset"], job["method"], job["profile"], seed=job["seed"],
                      device=job["device"], progress=False, **job["overrides"])
    run_or_load(cfg, job["run_dir"], cache_dir=job["cache_dir"])


def _text(path):
    return None if path is None else str(path)


if __name__ == "__main__":
    try:
        run_job(json.loads(sys.argv[1]))
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
