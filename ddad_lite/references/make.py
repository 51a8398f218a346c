"""Make a reference: run its seeds (or read them back) and write its small files.

    make_reference(reference("shapes-ddad"))   # runs/references/shapes-ddad/<run folders>
                                               # -> docs/results/shapes-ddad/

Each seed is `runs.store.run_or_load` in a folder named by the config's fingerprint under the
git-ignored work folder (`runs/references/<name>/`): a finished run is read back, one cut short
is resumed from its checkpoint, a changed recipe makes a new folder. Runs use one thread
(`torch.set_num_threads(1)`: a CPU run is bit for bit the same only at the same thread count,
provenance.py). Then `docs/results/<name>/` gets, never a checkpoint:

  summary.json     per seed: final, mean over evaluations, best (the test score of the
                   evaluation best on the *validation* split, `best_selected_on`), the maximum
                   on test, forgetting; over seeds: mean, std and every point
  curves.json      per seed the evaluations (iteration, test and validation accuracy), at most
                   `CURVE_POINTS` of them, and seed 0's training log up to `HEAD_ITERATIONS`
                   (what tests/test_references.py re-runs and matches)
  config.json      per seed, the run's `DistillConfig` as a dict (the staleness test's input)
  provenance.json  commit, CPU, threads, torch, the teacher's sha256, wall time per run
  images.png       the generator's images at the last snapshot of seed 0 (4 x 8)

(The 2-D toy's rows write the same five files from its own loop: toy.py.)
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..files import save_json
from ..paths import SOURCE_ROOT
from ..provenance import git_commit as provenance_commit
from ..provenance import provenance
from ..runs.store import load_history, run_folder, run_or_load
from ..runs.sweep import run_row, summarize
from ..teacher import load_or_train_teacher
from .table import Reference
from .toy import ToyReference, make_toy_reference

RUNS_ROOT = Path("runs/references")
RESULTS_ROOT = SOURCE_ROOT / "docs" / "results"  # in the checkout, wherever the cwd is
CURVE_POINTS = 60      # evaluations kept per seed (evenly spaced, the last always)
HEAD_ITERATIONS = 20   # seed 0's training log kept up to this iteration
GRID = (4, 8)          # rows x columns of images.png
THREADS = 1
RESULT_FILES = ("summary.json", "curves.json", "config.json", "provenance.json", "images.png")


def make_reference(ref: Reference | ToyReference, *, runs_root=RUNS_ROOT, results_root=RESULTS_ROOT,
                   cache_dir=None, log=print) -> dict:
    """Run (or read back) every seed of `ref` and write `results_root/<name>/`; returns the
    summary. A toy row runs lessons.toy2d's own loop instead (toy.py)."""
    if isinstance(ref, ToyReference):
        summary = make_toy_reference(ref, Path(results_root) / ref.name, THREADS)
        log(f"{ref.name}: final " + " / ".join(f"{x:.3f}" for x in
                                              summary["over_seeds"]["final"]["points"]))
        return summary
    torch.set_num_threads(THREADS)
    teacher, rows, histories, configs, walls = None, [], {}, {}, {}
    for seed in ref.seeds:
        cfg = ref.config(seed)
        if teacher is None:  # one teacher for every seed (the recipe's, from the cache)
            teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir,
                                            data_root=cfg.data_root, device=cfg.device,
                                            progress=False)
        run_dir = run_folder(Path(runs_root) / ref.name, cfg)
        metrics = run_or_load(cfg, run_dir, teacher=teacher, cache_dir=cache_dir)
        history = load_history(run_dir)
        rows.append(run_row(metrics, history, run_dir=run_dir))
        histories[seed], configs[str(seed)] = history, metrics["config"]
        walls[str(seed)] = {"wall_seconds": metrics["wall_seconds"],
                            "train_seconds": metrics["train_seconds"],
                            "run_folder": run_dir.name,
                            "torch_threads": metrics.get("torch_threads"),
                            "cpu_capability": metrics.get("cpu_capability"),
                            "git_commit": metrics.get("git_commit")}
        log(f"{ref.name} seed {seed}: final {rows[-1]['final']:.4f} "
            f"({metrics['wall_seconds']:.0f} s)")
    out = Path(results_root) / ref.name
    summary = reference_summary(ref, rows, metrics)
    save_json(out / "summary.json", summary)
    save_json(out / "curves.json", curves(histories, metrics))
    save_json(out / "config.json", configs)
    commits = sorted({str(w["git_commit"]) for w in walls.values()})
    save_json(out / "provenance.json", {
        **{k: v for k, v in provenance("cpu").items() if k not in ("python", "device")},
        # the commit the runs were made at (each run's metrics.json), and this file's writer
        "git_commit": commits[0] if len(commits) == 1 else commits,
        "written_at_commit": provenance_commit(),
        "threads": THREADS, "teacher_weights_sha256": metrics.get("teacher_weights_sha256"),
        "teacher_acc": metrics.get("teacher_acc"), "runs": walls,
        "wall_seconds_total": round(sum(w["wall_seconds"] for w in walls.values()), 1),
        "command": f"python -m ddad_lite references --only {ref.name}"})
    write_images(Path(run_folder(Path(runs_root) / ref.name, ref.config(ref.seeds[0]))),
                 out / "images.png")
    return summary


def reference_summary(ref: Reference, rows: list[dict], metrics: dict) -> dict:
    """summary.json: the row, per seed its scores, over seeds mean, std and every point."""
    over = summarize(rows)[0]
    fields = ("final", "mean", "best", "best_on_test", "forgetting", "wall_seconds")
    per_seed = [{"seed": r["seed"], **{f: r[f] for f in fields},
                 "best_selected_on": r["selected_on"], "iterations": r["iterations"],
                 "class_entropy": r["class_entropy"]} for r in rows]
    return {
        **ref.describe(),
        "score": "test accuracy of the student (whole test split)",
        "fields": {"final": "the last evaluation", "mean": "the mean over every evaluation",
                   "best": "the test score of the evaluation that scored best on the "
                           "validation split (held-out train images); not the test maximum",
                   "best_on_test": "the maximum on the test split (optimistic, as published "
                                   "numbers)",
                   "forgetting": "the largest drop of the test score to a later evaluation"},
        "student_sees_real_data": ref.method == "kd_real_data",
        "teacher_acc": metrics.get("teacher_acc"),
        "seeds": per_seed,
        "over_seeds": {f: {"mean": over[f], "std": over[f + "_std"],
                           "points": over["points"][f]} for f in fields},
    }


def curves(histories: dict, metrics: dict) -> dict:
    """curves.json: per seed the downsampled evaluations; seed 0's head of the training log."""
    key = "student_acc" if "student_acc" in metrics else "student_miou"
    out = {"score": key, "per_seed": {}}
    for seed, history in histories.items():
        evals = downsample(history["eval"], CURVE_POINTS)
        out["per_seed"][str(seed)] = {
            "iteration": [e["iteration"] for e in evals],
            "test": [e[key] for e in evals],
            "validation": [e.get("val_" + key) for e in evals]}
    first = histories[min(histories)]
    out["train_head_seed"] = min(histories)
    out["train_head"] = [r for r in first["train"] if r["iteration"] <= HEAD_ITERATIONS]
    return out


def downsample(records: list, points: int) -> list:
    """At most `points` of `records`, evenly spaced, the first and the last always kept."""
    if len(records) <= points:
        return list(records)
    step = (len(records) - 1) / (points - 1)
    return [records[round(i * step)] for i in range(points)]


def write_images(run_dir: Path, path: Path) -> None:
    """images.png: the first rows x columns of the run's last snapshot, a plain PNG grid."""
    from PIL import Image
    from torchvision.utils import make_grid

    from ..files import load_torch

    snapshots = load_torch(run_dir / "snapshots.pt", what="run snapshots")
    images = snapshots[-1]["images"][: GRID[0] * GRID[1]]
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    grid = make_grid(images, nrow=GRID[1], padding=2, pad_value=255)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    Image.fromarray(grid.permute(1, 2, 0).numpy()).save(tmp, optimize=True)
    tmp.replace(path)
