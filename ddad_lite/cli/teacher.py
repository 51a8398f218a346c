"""`teacher`: train (or load from the cache) the teacher of a dataset's recipe."""

from __future__ import annotations

import json

from ..config.building import make_config
from ..teacher import load_or_train_teacher
from .run_flags import overrides, run_flags


def cmd_teacher(args):
    cfg = make_config(args.dataset, "ddad", args.profile, **overrides(args))
    _, record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=args.cache_dir,
                                      data_root=cfg.data_root, device=cfg.device,
                                      progress=cfg.progress, retrain=args.retrain)
    print(json.dumps({k: record[k] for k in ("path", "sha256", "accuracy", "trained_now")}))


def add_commands(sub) -> None:
    """Register `teacher` on `sub`."""
    p = sub.add_parser("teacher", help="train or load the teacher of a dataset's recipe")
    run_flags(p)
    p.add_argument("--retrain", action="store_true", help="train even if a cached one exists")
    p.set_defaults(func=cmd_teacher)
