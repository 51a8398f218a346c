"""The flags every run command shares (teacher, distill, sweep, grid), and the settings they
make: the named flags (`--iterations`, `--alpha`, ...), `--set name=value`, `--seeds` and
durations (`--time-limit 6m`).
"""

from __future__ import annotations

import argparse

from ..config.overrides import parse_duration
from ..config.recipes import RUN_PROFILES
from ..errors import UserError
from .own_models import model_flags, model_overrides

# Named flags and the setting each one sets (the rest go through --set name=value).
NAMED_FLAGS = {"iterations": "iterations", "batch_size": "batch_size",
               "student_steps": "student_steps", "alpha": "bn", "beta": "adversarial",
               "discrepancy": "discrepancy", "lr_student": "lr_student",
               "lr_generator": "lr_generator", "eval_every": "eval_every", "seed": "seed",
               "device": "device", "data_root": "data_root",
               "checkpoint_every": "checkpoint_every",
               "checkpoint_minutes": "checkpoint_minutes", "time_limit": "time_limit"}


def overrides(args) -> dict:
    """The settings given on the command line: named flags, then `--set name=value`."""
    out = {setting: getattr(args, flag) for flag, setting in NAMED_FLAGS.items()
           if getattr(args, flag, None) is not None}
    for flag in ("channels_last", "compile"):
        if getattr(args, flag, False):
            out[flag] = True
    if getattr(args, "amp", None) is not None:
        out["amp"] = args.amp
    if getattr(args, "no_progress", False):
        out["progress"] = False
    out.update(model_overrides(args))
    for item in getattr(args, "set", None) or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set takes name=value, not {item!r}; e.g. --set bn=0.5")
        out[name.strip()] = value.strip()
    return out


def run_flags(p) -> None:
    """The flags of teacher, distill, sweep and grid: dataset, profile, data root, device,
    seed, teacher cache, `--teacher`/`--student` and `--set`."""
    p.add_argument("--dataset", default="shapes",
                   help="dataset name (default: shapes, the embedded one)")
    p.add_argument("--profile", default="quick", help=f"one of {', '.join(RUN_PROFILES)} "
                   "(gpu: CIFAR-10 on one GPU in minutes)")
    p.add_argument("--data-root", dest="data_root",
                   help="where prepared datasets live (default: $DDAD_DATA or ./data)")
    p.add_argument("--device", help="cpu or cuda (default: cpu)")
    p.add_argument("--seed", type=int, help="random seed (default: 0)")
    p.add_argument("--cache-dir", dest="cache_dir",
                   help="teacher cache (default: $DDAD_CACHE/teachers or "
                        "./checkpoints/teachers)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    model_flags(p)
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="any setting of the run or the method, typed and checked "
                        "(repeatable); `distill --help-settings` lists them")


def seed_list(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds takes integers separated by commas, e.g. 0,1,2, not "
                        f"{text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds needs distinct seeds, e.g. 0,1,2, not {text!r}")
    return seeds


def duration(text: str) -> float:
    """argparse type: seconds from 90, 90s, 6m or 1.5h (a malformed one is one line)."""
    try:
        return parse_duration(text)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
