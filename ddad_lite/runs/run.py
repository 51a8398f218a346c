"""One distillation run end to end: config -> teacher -> engine -> files in the run folder.

    run_distillation(make_config("shapes", "ddad", "quick"), "runs/ddad")

writes into the run folder:
  checkpoint.pt   models, optimisers, schedulers, step, RNG states and config (for --resume)
  history.json    losses, accuracies and per-layer BN loss over training
  snapshots.pt    generated images at chosen steps with T's and S's predictions
  metrics.json    the results, provenance and config (below)
  report.html     a self-contained page of the run (curves, generated images, agreement,
                  BN match per layer; reports/run_report.py) and report.png, one picture of it

The student is only *evaluated* on real data: every `eval_every` iterations on the
validation split (train images held out from the teacher, `cfg.val_size`) and on the test
split. metrics.json reports, for the test split: the final score (`student_acc`), the mean
over the evaluations (`mean_student_acc`), and the test score of the evaluation that was
best on validation (`best_student_acc`, with `val_best_student_acc`, `best_iteration` and
`best_selected_on` naming the chooser); `best_on_test_student_acc` is the maximum on the test
split itself, the optimistic figure published numbers give. The teacher is scored on the
very same test examples (`teacher_acc`; `teacher_acc_cached` is the cache's own score). Also:
`forgetting_max_drop` (largest drop of the test score from one evaluation to a later one),
the collapse measure (`teacher_class_entropy_final`, `teacher_effective_classes_final`),
T's logit scale on G's images and on real ones (`teacher_logit_norm_final`, `_real`),
the teacher's file and weights sha256, and what the method adds (e.g. replay_memory_bytes).
(`student_miou` and `teacher_miou` in place of the accuracies for segmentation.)

Data parallel (under torchrun, `parallel` given: docs/scale.md): every rank trains, rank 0
alone trains or loads the teacher first, evaluates, and writes the files; the other ranks
return None. When another rank stops, the run ends with one line naming the last complete
checkpoint to resume from.

All files are written atomically. Finding and reusing runs on disk (`run_or_load`,
`run_folder`) is `runs.store`.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from ..checkpoint import check_resumable
from ..config import DistillConfig
from ..config.building import make_config
from ..data import get_dataset
from ..data.validation import validation_split
from ..distributed import check_world_size, ignore_sigterm, is_peer_failure, lost_peer_message
from ..engine import Distiller, TrainingDiverged
from ..errors import UserError
from ..files import load_torch, save_json, save_torch
from ..methods import build_method
from ..metrics import evaluate, mean_logit_norm, selected_summary
from ..provenance import provenance
from ..reports.run_report import write_run_report
from ..reports.tensorboard import check_tensorboard, write_tensorboard
from ..teacher import load_or_train_teacher, weights_digest
from .lock import run_folder_lock

RUN_FILES = ("checkpoint.pt", "history.json", "snapshots.pt", "metrics.json", "report.html",
             "report.png")


def run_distillation(cfg: DistillConfig, out_dir, *, resume: bool = False, cache_dir=None,
                     teacher=None, callback=None, retrained_because: str | None = None,
                     tensorboard: bool = False, parallel=None) -> dict | None:
    """Distil per `cfg` into `out_dir` (resuming its checkpoint if `resume`); returns metrics.

    `teacher` may be given as (model, record) to skip the cache, e.g. from a notebook or a
    `--teacher-file` (its record's `file` is then recorded as `teacher_file`).
    `retrained_because` is recorded in metrics.json (why an earlier run was not reused).

    The run folder is made, checked writable and locked before any work (one writer at a
    time: `runs.lock`), and temporary files a killed writer left there are removed. A run
    whose loss or parameters stop being finite ends in one line (`engine.TrainingDiverged`):
    its last good checkpoint is kept and metrics.json says `"status": "failed"`.
    `tensorboard` also writes the history as TensorBoard events into `out_dir/tensorboard/`.
    `parallel` (distributed.DataParallel): this process's rank in a data-parallel run; the
    ranks other than 0 return None.
    """
    main = parallel is None or parallel.is_main
    if not main:
        cfg = dataclasses.replace(cfg, progress=False)  # rank 0 alone reports
    start = time.perf_counter()
    if tensorboard:
        check_tensorboard()  # before any training: one line naming the extra
    out = Path(out_dir)
    run = functools.partial(_run_locked, cfg, out, start=start, resume=resume,
                            cache_dir=cache_dir, teacher=teacher, callback=callback,
                            retrained_because=retrained_because, tensorboard=tensorboard,
                            parallel=parallel, main=main)
    if not main:  # rank 0 holds the folder's lock and writes; the other ranks only train
        return run()
    with run_folder_lock(out):
        remove_orphans(out)
        with _out_of_memory_as_user_error(cfg):
            return run()


def remove_orphans(out: Path) -> list[Path]:
    """Delete the temporary files (`.checkpoint.pt.*.tmp`, ...) of writers killed in `out`;
    only called with the folder's lock held, so none of them is being written."""
    orphans = [p for name in RUN_FILES for p in out.glob(f".{name}.*.tmp") if p.is_file()]
    for path in orphans:
        path.unlink(missing_ok=True)
    return orphans


def _run_locked(cfg, out: Path, *, start, resume, cache_dir, teacher, callback,
                retrained_because, tensorboard, parallel, main) -> dict | None:
    checkpoint = out / "checkpoint.pt"
    state = None
    if resume:
        state = load_torch(checkpoint, what="checkpoint",
                           hint="start the run again without --resume")
        check_resumable(state, cfg)  # before any teacher is trained
        check_world_size(state, 1 if parallel is None else parallel.world_size)
    elif any((out / name).exists() for name in RUN_FILES):
        raise UserError(f"{out} already holds a run; pass --resume to continue it, or choose "
                        "another --out")

    if teacher is None:
        if not main:
            parallel.barrier()  # rank 0 trains or loads (and caches) the teacher first
        teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir,
                                        data_root=cfg.data_root, device=cfg.device,
                                        progress=cfg.progress and main)
        if main and parallel is not None:
            parallel.barrier()
    teacher_model, teacher_record = teacher
    teacher_id = teacher_record.get("weights_sha256") or weights_digest(teacher_model)
    if state is not None and state.get("teacher_id") not in (None, teacher_id):
        raise UserError(f"cannot resume {out}: its checkpoint was made with another teacher "
                        "(weights sha256 differs); start the run again without --resume")
    eval_dataset = val_dataset = None
    if main:  # rank 0 alone evaluates
        eval_dataset = get_dataset(cfg.dataset, "test", cfg.data_root)
        val_dataset = validation_split(cfg.dataset, cfg.data_root, size=cfg.val_size,
                                       seed=cfg.val_seed)
    distiller = Distiller(cfg, teacher_model, eval_dataset=eval_dataset,
                          val_dataset=val_dataset, teacher_id=teacher_id, parallel=parallel)
    distiller.wall_started = start  # the run's wall time counts loading the teacher
    try:
        if state is not None:  # refuses a checkpoint of another config
            distiller.load_state_dict(state if parallel is None else parallel.local_state(state))
        distiller.fit(checkpoint_path=checkpoint, callback=callback)
    except TrainingDiverged as e:
        raise (_mark_failed(out, cfg, e) if main else e) from None
    except RuntimeError as e:
        if parallel is None or not is_peer_failure(e):
            raise
        ignore_sigterm()  # stopping already: a SIGTERM now would cut the message short
        step = (load_torch(checkpoint, what="checkpoint")["step"] if checkpoint.is_file()
                else None)
        raise UserError(lost_peer_message(parallel, checkpoint, step)) from e
    finally:
        distiller.close()  # the teacher may be reused by the caller
    if not main:
        return None

    metrics = collect_metrics(distiller, {**teacher_record, "weights_sha256": teacher_id},
                              wall_seconds=distiller.elapsed_wall_seconds())
    if retrained_because:
        metrics["retrained_because"] = retrained_because
    if teacher_record.get("file"):  # a teacher of one's own (teacher/own_file.py)
        metrics.update(teacher_file=teacher_record["file"],
                       teacher_file_kind=teacher_record.get("file_kind"))
    save_json(out / "history.json", distiller.history)
    save_torch(out / "snapshots.pt", distiller.snapshots)
    save_json(out / "metrics.json", metrics)
    write_run_report(out)  # report.html and report.png, from the files just written
    if tensorboard:
        write_tensorboard(out)
    return metrics


def _mark_failed(out: Path, cfg: DistillConfig, diverged: TrainingDiverged) -> UserError:
    """Write metrics.json saying the run failed (no result in it), and return the one-line
    error: what diverged, where, and which checkpoint is kept."""
    kept = None
    if (out / "checkpoint.pt").is_file():
        try:
            kept = load_torch(out / "checkpoint.pt").get("step")
        except (UserError, AttributeError):
            kept = None
    where = (f"the last good checkpoint (iteration {kept}) is kept in {out}" if kept is not None
             else "no checkpoint was written before it")
    message = (f"{diverged}; {where}; lower --lr-student / --lr-generator or the loss weights "
               "and start again")
    save_json(out / "metrics.json", {
        "status": "failed", "failure": message, "failed_at_iteration": diverged.step,
        "last_good_checkpoint_iteration": kept, "dataset": cfg.dataset, "method": cfg.method,
        "profile": cfg.profile, "seed": cfg.seed, "config": cfg.to_dict()})
    return UserError(message)


@contextmanager
def _out_of_memory_as_user_error(cfg: DistillConfig):
    """Running out of memory (a batch too large for the device) as one line."""
    try:
        yield
    except (torch.cuda.OutOfMemoryError, MemoryError):
        raise _oom(cfg) from None
    except RuntimeError as e:
        text = str(e)
        if "can't allocate memory" in text or "out of memory" in text.lower():
            raise _oom(cfg) from None
        raise


def _oom(cfg: DistillConfig) -> UserError:
    return UserError(f"out of memory on {cfg.device} (batch size {cfg.batch_size}, "
                     f"{cfg.student_steps} student steps); use a smaller --batch-size")


def collect_metrics(d: Distiller, teacher_record: dict, *, wall_seconds: float) -> dict:
    """metrics.json: results beside their provenance and the full config."""
    cfg = d.cfg
    key = d.primary_metric  # student_acc, or student_miou for segmentation
    score = key.removeprefix("student_")
    test = [e[key] for e in d.history["eval"]]
    val = [e["val_" + key] for e in d.history["eval"] if "val_" + key in e]
    summary = selected_summary(test, val if len(val) == len(test) else None)
    best_at = summary["best_index"]
    world_size = getattr(d.parallel, "world_size", 1)  # data parallel: N x the batch
    # The method's own count: (k + 1) B for the default loop, B for DAFL's joint loop, k B
    # for the bounds (methods/*.py, `images_per_iteration`).
    images = d.step * d.images_per_iteration * world_size
    entropies = [s["teacher_class_entropy"] for s in d.snapshots]
    effective = [s.get("teacher_effective_classes") for s in d.snapshots]
    teacher_score = None
    if d.eval_loader is not None:  # T on the very examples S is scored on
        teacher_score = evaluate(d.T, d.eval_loader, info=d.info, device=d.device, amp=d.amp,
                                 channels_last=cfg.channels_last)[score]
    chooser = (f"the validation split ({cfg.val_size} train images held out from the "
               "teacher; the test split only reports)" if summary["selected_on"] == "validation"
               else "the real test split (optimistic, as published numbers; final and mean "
                    "are not selected)")
    return {
        "status": "finished",
        "dataset": cfg.dataset,
        "method": cfg.method,
        "profile": cfg.profile,
        "teacher": cfg.teacher,
        "student": cfg.student,
        "generator": cfg.generator,
        "teacher_" + score: teacher_score,
        "teacher_" + score + "_cached": teacher_record.get("accuracy"),
        "teacher_sha256": teacher_record.get("sha256"),
        "teacher_weights_sha256": teacher_record.get("weights_sha256"),
        key: summary["final"],
        "mean_" + key: summary["mean"],
        "best_" + key: summary["best"],
        "best_selected_on": chooser,
        "val_best_" + key: summary["best_val"],
        "best_iteration": None if best_at is None else d.history["eval"][best_at]["iteration"],
        "best_on_test_" + key: summary["best_on_test"],
        "test_images": len(d.eval_loader.dataset) if d.eval_loader is not None else 0,
        "val_images": len(d.val_loader.dataset) if d.val_loader is not None else 0,
        # Forgetting: the largest drop of the score from one evaluation to any later one.
        "forgetting_max_drop": summary["max_drop"],
        "evaluations": len(test),
        "iterations": d.step,
        "wall_seconds": round(wall_seconds, 2),
        "train_seconds": round(d.train_seconds, 2),
        "images_per_second": round(images / d.train_seconds, 1) if d.train_seconds else None,
        # Collapse: T's predicted classes on G's last snapshot batch (metrics.class_entropy).
        "teacher_class_entropy_final": entropies[-1] if entropies else None,
        "teacher_effective_classes_final": effective[-1] if effective else None,
        # T's logit scale on G's last snapshot and on real test images: an adversarial L1
        # generator can win by inflating T's logits (docs/results.md, DFAD on shapes).
        "teacher_logit_norm_final": (d.snapshots[-1].get("teacher_logit_norm")
                                     if d.snapshots else None),
        "teacher_logit_norm_real": (mean_logit_norm(d.T, d.eval_loader, device=d.device)
                                    if d.eval_loader is not None else None),
        "generator_collapse_suspected": bool(entropies) and entropies[-1] < 0.2,
        "seed": cfg.seed,
        "world_size": world_size,  # processes of a data-parallel run
        "amp_enabled": d.amp_dtype is not None,
        "amp_dtype": str(d.amp_dtype).removeprefix("torch.") if d.amp_dtype else None,
        **provenance(d.device),  # commit, device, versions, platform, date
        **d.method.run_metrics(d),  # e.g. the memory a replay VAE holds
        # Where the loop ended: None when it ran its iterations, "time_limit" at a deadline.
        "stopped_by": d.stopped_by,
        "planned_iterations": cfg.iterations,
        **synthetic_budget(d),
        "config": cfg.to_dict(),
    }


def synthetic_budget(d: Distiller) -> dict:
    """The synthetic images the student's method drew (the method's own count per iteration,
    all ranks) and that count as a share of the dataset's `full` profile, which is DFAD's
    schedule where the dataset is one of its benchmarks (CIFAR: 25,000 iterations of 6 x 256,
    38.4 M images)."""
    images = d.step * d.images_per_iteration * getattr(d.parallel, "world_size", 1)
    try:
        full = make_config(d.cfg.dataset, d.cfg.method, "full", data_root=d.cfg.data_root)
        full_images = full.iterations * build_method(full).images_per_iteration()
    except (UserError, TypeError, ValueError):  # e.g. a dataset without a full recipe
        full_images = None
    return {"synthetic_images": images, "full_profile_images": full_images,
            "share_of_full_profile": round(images / full_images, 4) if full_images else None}
