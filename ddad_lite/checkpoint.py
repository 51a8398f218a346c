"""A run's checkpoint: its format, the check that a checkpoint belongs to a run of a given
config (one line when it does not: another program's file, a damaged entry, another
config), and the Distiller's whole state, written and restored (models, optimisers,
schedulers, the gradient scaler, every RNG state, the step, history and snapshots), so that a
resumed run continues exactly as an uninterrupted one would. The engine calls these; this
module never imports the engine.
"""

from __future__ import annotations

import random
from collections import Counter

import torch

from .config import DistillConfig, config_differences, setting_value
from .errors import UserError

CHECKPOINT_FORMAT = "ddad-lite/checkpoint-v1"
# The entries a checkpoint must hold, and their kinds.
CHECKPOINT_ENTRIES = {"config": dict, "step": int, "train_seconds": (int, float),
                      "student": dict, "generator": dict, "opt_student": dict,
                      "opt_generator": dict, "sched_student": dict, "sched_generator": dict,
                      "method": dict, "rng": dict, "history": dict, "snapshots": list}
RNG_ENTRIES = ("z", "torch", "python")


def check_resumable(state, cfg: DistillConfig) -> None:
    """Raise a one-line UserError unless `state` is a checkpoint of a run with `cfg`."""
    fix = "start the run again without --resume (or in a new --out)"
    if not isinstance(state, dict):
        raise UserError(f"not a ddad-lite distillation checkpoint (it holds a "
                        f"{type(state).__name__}); {fix}")
    if state.get("format") != CHECKPOINT_FORMAT:
        raise UserError("not a ddad-lite distillation checkpoint (format "
                        f"{state.get('format')!r}); {fix}")
    damaged = [k for k, kind in CHECKPOINT_ENTRIES.items()
               if not isinstance(state.get(k), kind) or isinstance(state.get(k), bool)]
    if not damaged and any(k not in state["rng"] for k in RNG_ENTRIES):
        damaged = ["rng"]
    if damaged:
        raise UserError(f"the checkpoint lacks or has damaged entries ({', '.join(damaged)}); "
                        f"{fix}")
    try:
        saved = DistillConfig.from_dict(state["config"])
    except (TypeError, ValueError, AttributeError, UserError) as e:
        raise UserError(f"the checkpoint's config is damaged ({str(e)[:100]}); {fix}") from None
    diffs = config_differences(saved, cfg)
    if diffs:
        shown = ", ".join(f"{k}: {setting_value(saved, k)!r} -> {setting_value(cfg, k)!r}"
                          for k in diffs[:4])
        raise UserError(f"cannot resume: the checkpoint was made with another config "
                        f"({shown}); resume with the same settings or use a new --out")


def distiller_state(d) -> dict:
    """Everything a resumed run needs of the Distiller `d`, as one dict."""
    rng = {"z": d.rng.get_state(), "torch": torch.get_rng_state(),
           "python": random.getstate()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {
        "format": CHECKPOINT_FORMAT,
        "config": d.cfg.to_dict(),
        "teacher_id": d.teacher_id,
        "step": d.step,
        "train_seconds": d.train_seconds,
        "wall_seconds": d.elapsed_wall_seconds(),
        "student": d.S.state_dict(),
        "generator": d.G.state_dict(),
        "opt_student": d.opt_S.state_dict(),
        "opt_generator": d.opt_G.state_dict(),
        "sched_student": _schedule_state(d.sched_S),
        "sched_generator": _schedule_state(d.sched_G),
        "method": d.method.state_dict(),
        "scaler": d.scaler.state_dict(),
        "rng": rng,
        "history": d.history,
        "snapshots": d.snapshots,
    }


def load_distiller_state(d, state: dict) -> None:
    """Restore `d` from `state` (checked first); a state that does not fit is one line."""
    check_resumable(state, d.cfg)
    try:
        _restore(d, state)
    except (KeyError, IndexError, RuntimeError, TypeError, ValueError) as e:
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise UserError(f"the checkpoint does not fit this run ({reason}); start the run "
                        "again without --resume (or in a new --out)") from None


def _restore(d, state: dict) -> None:
    d.S.load_state_dict(state["student"])
    d.G.load_state_dict(state["generator"])
    d.opt_S.load_state_dict(state["opt_student"])
    d.opt_G.load_state_dict(state["opt_generator"])
    _load_schedule(d.sched_S, state["sched_student"])
    _load_schedule(d.sched_G, state["sched_generator"])
    d.method.load_state_dict(state["method"])
    d.scaler.load_state_dict(state.get("scaler") or d.scaler.state_dict())
    d.rng.set_state(state["rng"]["z"])
    torch.set_rng_state(state["rng"]["torch"])
    version, internal, gauss = state["rng"]["python"]  # torch.load made a tuple a list
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    d.step = state["step"]
    d.train_seconds = state["train_seconds"]
    # Checkpoints from before wall_seconds was kept: their training time is a lower bound.
    d.wall_seconds_before = float(state.get("wall_seconds", d.train_seconds))
    d.history = state["history"]
    d.snapshots = state["snapshots"]


# MultiStepLR keeps its milestones in a collections.Counter, which torch.load(weights_only=True)
# refuses before torch 2.4: the checkpoint holds them as a dict, turned back into a Counter.
def _schedule_state(scheduler) -> dict:
    state = scheduler.state_dict()
    if isinstance(state.get("milestones"), Counter):
        state["milestones"] = dict(state["milestones"])
    return state


def _load_schedule(scheduler, state: dict) -> None:
    scheduler.load_state_dict(state)
    if isinstance(getattr(scheduler, "milestones", None), dict):
        scheduler.milestones = Counter(scheduler.milestones)
