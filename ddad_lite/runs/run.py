"""One distillation run end to end: config -> teacher -> engine -> files in the run folder.

    run_distillation(make_config("shapes", "ddad", "quick"), "runs/ddad")

writes into the run folder:
  checkpoint.pt   models, optimisers, schedulers, step, RNG states and config (for --resume)
  history.json    losses, accuracies and per-layer BN loss over training
  snapshots.pt    generated images at chosen steps with T's and S's predictions
  metrics.json    the results (final, mean and best student accuracy; forgetting_max_drop,
                  the largest drop of accuracy from one evaluation to a later one; what the
                  method adds, e.g. replay_memory_bytes), provenance, config

All files are written atomically. The student is only *evaluated* on real data. Finding and
reusing runs on disk (`run_or_load`, `run_folder`) is `runs.store`.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..config import DistillConfig
from ..data import get_dataset
from ..engine import Distiller, check_resumable
from ..errors import UserError
from ..files import load_torch, save_json, save_torch
from ..metrics import curve_summary
from ..provenance import provenance
from ..teacher import load_or_train_teacher

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
        **provenance(d.device),  # commit, device, versions, platform, date
        **d.method.run_metrics(d),  # e.g. the memory a replay VAE holds
        "config": cfg.to_dict(),
    }
