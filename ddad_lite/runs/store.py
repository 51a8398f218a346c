"""Runs on disk: found by their config, read back instead of trained twice.

`run_or_load(cfg, out_dir)` is "load it if it exists, otherwise train": a finished run of the
same config *and the same teacher* is read back, one cut short is resumed from its checkpoint,
and a folder that holds a run of another config is refused. What decides reuse is the config
(`config_differences`) and the teacher's weights sha256 (`teacher.weights_digest`; the file's
own sha256 changes with its recorded training time). A finished run made with another teacher
(or one that records none) is moved aside into `out_dir/replaced-<n>/` and made again; its
metrics.json says why (`retrained_because`). With `run_folder(root, cfg)` (named by the
dataset, method, seed and the config's fingerprint) several notebooks or scripts share one
folder of runs and never train the same config twice. `load_history(out_dir)` reads a
finished run's history.
"""

from __future__ import annotations

from pathlib import Path

from ..config import DistillConfig, config_differences, config_fingerprint
from ..errors import UserError
from ..files import load_json, load_torch
from ..teacher import load_or_train_teacher, weights_digest
from .lock import run_folder_lock
from .run import RUN_FILES, run_distillation


def run_or_load(cfg: DistillConfig, out_dir, *, teacher=None, cache_dir=None) -> dict:
    """The metrics of the run of `cfg` in `out_dir`: read back if it finished there with the
    same teacher (weights sha256), resumed from its checkpoint if it was cut short, else
    distilled now (`retrained_because` says why when a run of another teacher was there). A
    folder that holds a run of another config, or a run that failed (diverged), is refused
    (one line naming what differs or what failed). The folder is locked throughout."""
    out = Path(out_dir)
    with run_folder_lock(out):
        return _run_or_load_locked(cfg, out, teacher=teacher, cache_dir=cache_dir)


def _run_or_load_locked(cfg: DistillConfig, out: Path, *, teacher, cache_dir) -> dict:
    metrics_path = out / "metrics.json"
    fix = "delete that folder or choose another"
    metrics = None
    if metrics_path.is_file():
        metrics = load_json(metrics_path, what="run metrics", hint=fix)
        if metrics.get("status") == "failed":
            raise UserError(f"{out} holds a run that failed ({metrics.get('failure')}); {fix}")
        try:
            saved_cfg = DistillConfig.from_dict(metrics["config"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise UserError(f"run metrics {metrics_path} hold no valid config; {fix}") from None
        diffs = config_differences(saved_cfg, cfg)
        if diffs:
            raise UserError(f"{out} holds a run of another config (it differs in "
                            f"{', '.join(diffs[:4])}); {fix}")
    if teacher is None:
        teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir,
                                        data_root=cfg.data_root, device=cfg.device,
                                        progress=cfg.progress)
    teacher_id = teacher[1].get("weights_sha256") or weights_digest(teacher[0])
    teacher = (teacher[0], {**teacher[1], "weights_sha256": teacher_id})
    reason = None
    if metrics is not None and (out / "history.json").is_file():
        if metrics.get("teacher_weights_sha256") == teacher_id:
            return metrics
        reason = ("teacher sha256 differs" if metrics.get("teacher_weights_sha256")
                  else "the run records no teacher weights sha256")
        _move_aside(out)
    elif (out / "checkpoint.pt").is_file():
        saved = load_torch(out / "checkpoint.pt", what="checkpoint",
                           hint="delete the folder to start the run again")
        if isinstance(saved, dict) and saved.get("teacher_id") not in (None, teacher_id):
            reason = "teacher sha256 differs"
            _move_aside(out)
    resume = (out / "checkpoint.pt").is_file()
    return run_distillation(cfg, out, resume=resume, cache_dir=cache_dir, teacher=teacher,
                            retrained_because=reason)


def _move_aside(out: Path) -> None:
    """Move a run's files into `out/replaced-<n>/` (kept, never trained on again)."""
    n = 1
    while (out / f"replaced-{n}").exists():
        n += 1
    aside = out / f"replaced-{n}"
    aside.mkdir()
    for name in RUN_FILES:
        if (out / name).exists():
            (out / name).rename(aside / name)


def run_folder(root, cfg: DistillConfig) -> Path:
    """`root/<dataset>-<method>-seed<seed>-<fingerprint>`: one folder per distinct config."""
    return Path(root) / f"{cfg.dataset}-{cfg.method}-seed{cfg.seed}-{config_fingerprint(cfg)}"


def load_history(out_dir) -> dict:
    """history.json of a finished run."""
    return load_json(Path(out_dir) / "history.json", what="run history",
                     hint="delete the run folder to make the run again")
