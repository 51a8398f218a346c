"""One distillation run end to end: config -> teacher -> engine -> files in the run folder.

    run_distillation(make_config("shapes", "ddad", "quick"), "runs/ddad")

writes into the run folder:
  checkpoint.pt   models, optimisers, schedulers, step, RNG states and config (for --resume)
  history.json    losses, accuracies and per-layer BN loss over training
  snapshots.pt    generated images at chosen steps with T's and S's predictions
  metrics.json    the results (final, mean and best student accuracy; forgetting_max_drop,
                  the largest drop of accuracy from one evaluation to a later one; what the
                  method adds, e.g. replay_memory_bytes), provenance, config

All files are written atomically. The student is only *evaluated* on real data.

`run_or_load(cfg, out_dir)` is "load it if it exists, otherwise train": a finished run of the
same config is read back, one cut short is resumed from its checkpoint. With
`run_folder(root, cfg)` (named by the config's fingerprint) several notebooks or scripts share
one folder of runs and never train the same config twice.
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path

import torch

from .config import DistillConfig, config_differences, config_fingerprint
from .data import get_dataset
from .engine import Distiller, check_resumable
from .errors import UserError
from .files import load_torch, save_json, save_torch
from .metrics import curve_summary
from .teacher import load_or_train_teacher

RUN_FILES = ("checkpoint.pt", "history.json", "snapshots.pt", "metrics.json")


def run_distillation(cfg: DistillConfig, out_dir, *, resume: bool = False, cache_dir=None,
                     teacher=None, callback=None) -> dict:
    """Distil per `cfg` into `out_dir` (resuming its checkpoint if `resume`); returns metrics.

    `teacher` may be given as (model, record) to skip the cache, e.g. from a notebook.
    """
    start = time.perf_counter()
    out = Path(out_dir)
    checkpoint = out / "checkpoint.pt"
    state = None
    if resume:
        state = load_torch(checkpoint, what="checkpoint",
                           hint="start the run again without --resume")
        check_resumable(state, cfg)  # before any teacher is trained
    elif any((out / name).exists() for name in RUN_FILES):
        raise UserError(f"{out} already holds a run; pass --resume to continue it, or choose "
                        "another --out")

    if teacher is None:
        teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir,
                                        data_root=cfg.data_root, device=cfg.device,
                                        progress=cfg.progress)
    teacher_model, teacher_record = teacher
    eval_dataset = get_dataset(cfg.dataset, "test", cfg.data_root)
    distiller = Distiller(cfg, teacher_model, eval_dataset=eval_dataset)
    try:
        if state is not None:
            distiller.load_state_dict(state)  # refuses a checkpoint of another config
        distiller.fit(checkpoint_path=checkpoint, callback=callback)
    finally:
        distiller.close()  # the teacher may be reused by the caller

    metrics = collect_metrics(distiller, teacher_record, wall_seconds=time.perf_counter() - start)
    save_json(out / "history.json", distiller.history)
    save_torch(out / "snapshots.pt", distiller.snapshots)
    save_json(out / "metrics.json", metrics)
    return metrics


def run_or_load(cfg: DistillConfig, out_dir, *, teacher=None, cache_dir=None) -> dict:
    """The metrics of the run of `cfg` in `out_dir`: read back if it finished there, resumed
    from its checkpoint if it was cut short, else distilled now. A folder that holds a run of
    another config is refused (one line naming what differs)."""
    out = Path(out_dir)
    metrics_path = out / "metrics.json"
    if metrics_path.is_file() and (out / "history.json").is_file():
        metrics = json.loads(metrics_path.read_text())
        diffs = config_differences(DistillConfig.from_dict(metrics["config"]), cfg)
        if diffs:
            raise UserError(f"{out} holds a run of another config (it differs in "
                            f"{', '.join(diffs[:4])}); delete that folder or choose another")
        return metrics
    resume = (out / "checkpoint.pt").is_file()
    return run_distillation(cfg, out, resume=resume, cache_dir=cache_dir, teacher=teacher)


def run_folder(root, cfg: DistillConfig) -> Path:
    """`root/<dataset>-<method>-seed<seed>-<fingerprint>`: one folder per distinct config."""
    return Path(root) / f"{cfg.dataset}-{cfg.method}-seed{cfg.seed}-{config_fingerprint(cfg)}"


def load_history(out_dir) -> dict:
    """history.json of a finished run."""
    return json.loads((Path(out_dir) / "history.json").read_text())


def collect_metrics(d: Distiller, teacher_record: dict, *, wall_seconds: float) -> dict:
    """metrics.json: results beside their provenance and the full config."""
    cfg = d.cfg
    key = d.primary_metric  # student_acc, or student_miou for segmentation
    curve = [e[key] for e in d.history["eval"]]
    summary = curve_summary(curve)
    images = d.step * (cfg.student_steps + 1) * cfg.batch_size
    entropies = [s["teacher_class_entropy"] for s in d.snapshots]
    return {
        "dataset": cfg.dataset,
        "method": cfg.method,
        "profile": cfg.profile,
        "teacher": cfg.teacher,
        "student": cfg.student,
        "generator": cfg.generator,
        "teacher_" + key.removeprefix("student_"): teacher_record.get("accuracy"),
        "teacher_sha256": teacher_record.get("sha256"),
        key: summary["final"],
        "mean_" + key: summary["mean"],
        "best_" + key: summary["best"],
        "best_selected_on": "the real test split (optimistic; final and mean are not selected)",
        # Forgetting: the largest drop of the score from one evaluation to any later one.
        "forgetting_max_drop": summary["max_drop"],
        "evaluations": len(curve),
        "iterations": d.step,
        "wall_seconds": round(wall_seconds, 2),
        "train_seconds": round(d.train_seconds, 2),
        "images_per_second": round(images / d.train_seconds, 1) if d.train_seconds else None,
        "teacher_class_entropy_final": entropies[-1] if entropies else None,
        "generator_collapse_suspected": bool(entropies) and entropies[-1] < 0.2,
        "seed": cfg.seed,
        "amp_enabled": d.amp,
        "device": str(d.device),
        "device_name": _device_name(d.device),
        "torch_version": str(torch.__version__),
        "python_version": platform.python_version(),
        "git_commit": git_commit(),
        **d.method.run_metrics(d),  # e.g. the memory a replay VAE holds
        "config": cfg.to_dict(),
    }


def git_commit() -> str | None:
    """The commit of the ddad-lite checkout, with '+dirty' if it has local changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("+dirty" if dirty.strip() else "")) if sha else None


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()
