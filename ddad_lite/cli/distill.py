"""`distill` (one run, or one per seed with `--seeds`; data parallel under torchrun), `sweep`
(methods x seeds, a process per run queued over `--devices`, docs/scale.md) and `grid` (a
grid of one method's settings, chosen on the validation split).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..config.building import make_config, settings_help
from ..distributed import in_process_group
from ..errors import UserError
from ..files import finite_json
from ..methods import available_methods
from ..reports.tensorboard import write_tensorboard
from ..runs.grid import grid_search, grid_table, write_grid
from ..runs.run import run_distillation
from ..runs.store import load_history, run_or_load
from ..runs.sweep import run_row, sweep, sweep_table, write_seed_summary
from .own_models import given_teacher, teacher_file_flags
from .run_flags import duration, overrides, run_flags, seed_list


def cmd_distill(args):
    if args.help_settings:
        for name, kind, default in settings_help(args.method):
            print(f"{name:24s} {kind:14s} {default!r}")
        return
    if not args.out:
        raise UserError("distill needs --out DIR (the run folder for checkpoint and metrics)")
    if args.seeds is not None:
        return _distill_seeds(args)
    cfg = make_config(args.dataset, args.method, args.profile, **overrides(args))
    metrics = in_process_group(cfg.device, lambda parallel: run_distillation(
        cfg, args.out, resume=args.resume, cache_dir=args.cache_dir,
        teacher=given_teacher(args, cfg), tensorboard=args.tensorboard,
        parallel=parallel))
    keys = ("dataset", "method", "profile", "teacher_acc", "student_acc", "mean_student_acc",
            "best_student_acc", "teacher_miou", "student_miou", "iterations", "wall_seconds",
            "images_per_second", "world_size")
    if metrics is not None:  # None: a rank other than 0 of a torchrun (rank 0 reports)
        print(json.dumps(finite_json({k: metrics[k] for k in keys if k in metrics})))


def _distill_seeds(args):
    """`--seeds 0,1,2`: one run per seed in OUT/seed_N/ (a finished one is read back, one cut
    short resumed), then OUT/summary.json and OUT/summary.md: mean, std and every point."""
    if args.seed is not None or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise UserError("give either --seed N or --seeds N,M,..., not both (and --seeds not "
                        "under torchrun: it runs one process per seed)")
    seeds = seed_list(args.seeds)
    configs = [make_config(args.dataset, args.method, args.profile,
                           **{**overrides(args), "seed": seed}) for seed in seeds]
    rows = []
    teacher = given_teacher(args, configs[0])
    for cfg in configs:
        run_dir = Path(args.out) / f"seed_{cfg.seed}"
        metrics = run_or_load(cfg, run_dir, cache_dir=args.cache_dir, teacher=teacher)
        if args.tensorboard:
            write_tensorboard(run_dir)
        rows.append(run_row(metrics, load_history(run_dir), run_dir=run_dir))
    print(json.dumps(write_seed_summary(rows, args.out)["summary"]))


def cmd_sweep(args):  # runs/sweep.py: one process per run, queued over the devices
    methods, devices = ([v.strip() for v in text.split(",") if v.strip()]
                        for text in (args.methods, args.devices))
    rows = sweep(methods, dataset=args.dataset, profile=args.profile, devices=devices or ["cpu"],
                 seeds=seed_list(args.seeds), out_root=args.out, cache_dir=args.cache_dir,
                 **overrides(args))
    print(sweep_table(write_seed_summary(rows, args.out)["summary"], percent=False, entropy=True))


def cmd_grid(args):
    grid = {}
    for item in args.grid or []:
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise UserError(f"--grid takes name=v1,v2,..., not {item!r}; e.g. --grid bn=0.1,1,10")
        grid[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    result = grid_search(args.method, grid, dataset=args.dataset, profile=args.profile,
                         seeds=seed_list(args.seeds), out_root=args.out,
                         cache_dir=args.cache_dir, **overrides(args))
    write_grid(result, args.out)
    print(grid_table(result))


def add_commands(sub) -> None:
    """Register `distill`, `sweep` and `grid` on `sub`."""
    p = sub.add_parser("distill", help="distil the teacher into a student")
    run_flags(p)
    p.add_argument("--method", default="ddad",
                   help=f"{', '.join(available_methods())} (default: ddad); append "
                        "+replay for generative pseudo replay, e.g. ddad+replay; the bounds "
                        "kd_real_data (uses real data) and random_generator are not methods")
    p.add_argument("--out", help="run folder for checkpoint and metrics (required)")
    p.add_argument("--help-settings", dest="help_settings", action="store_true",
                   help="list every setting of --method (name, type, default) and exit")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    teacher_file_flags(p)
    p.add_argument("--seeds", help="several seeds, e.g. 0,1,2: one run per seed in "
                                   "OUT/seed_N/, then OUT/summary.json and OUT/summary.md")
    p.add_argument("--iterations", type=int, help="generator steps (override the profile)")
    p.add_argument("--batch-size", dest="batch_size", type=int, help="synthetic batch size")
    p.add_argument("--student-steps", dest="student_steps", type=int,
                   help="k: student steps per generator step")
    p.add_argument("--alpha", type=float,
                   help="weight of L_BN in the generator's loss (the setting `bn`)")
    p.add_argument("--beta", type=float,
                   help="weight of the discrepancy in L_G (the setting `adversarial`)")
    p.add_argument("--discrepancy", help="l1, kl or log_l1")
    p.add_argument("--lr-student", dest="lr_student", type=float,
                   help="student lr (SGD, or Adam with --set student_optimizer=adam)")
    p.add_argument("--lr-generator", dest="lr_generator", type=float, help="generator Adam lr")
    p.add_argument("--eval-every", dest="eval_every", type=int, help="iterations between evals")
    p.add_argument("--checkpoint-every", dest="checkpoint_every", type=int,
                   help="iterations between checkpoints (default 0: by time only)")
    p.add_argument("--checkpoint-minutes", dest="checkpoint_minutes", type=float,
                   help="minutes of wall time between checkpoints (default 5; 0: off); a "
                        "checkpoint is always written at the end")
    p.add_argument("--time-limit", dest="time_limit", type=duration,
                   help="end the loop once the run's wall time (teacher included) reaches "
                        "this, e.g. 6m or 90s, and still evaluate and write every file")
    p.add_argument("--amp", action="store_const", const=True, default=None,
                   help="bfloat16 autocast (the quick profile uses it where bf16 is native)")
    p.add_argument("--no-amp", dest="amp", action="store_const", const=False,
                   help="fp32 throughout, whatever the profile says")
    p.add_argument("--channels-last", dest="channels_last", action="store_true",
                   help="channels_last memory format")
    p.add_argument("--compile", action="store_true", help="torch.compile the student")
    p.add_argument("--tensorboard", action="store_true", help="also write TensorBoard events "
                   "into OUT/tensorboard/ (the optional extra ddad-lite[tensorboard])")
    p.set_defaults(func=cmd_distill)

    p = sub.add_parser("sweep", help="methods x seeds, one process per run over --devices")
    run_flags(p)
    for flag, default, text in (("methods", "ddad", "ddad,dfad"), ("seeds", "0", "0,1,2"), (
            "devices", "cpu", "cuda:0,cuda:1 or cpu,cpu (a run at a time per entry)")):
        p.add_argument(f"--{flag}", default=default, help=f"comma-separated, e.g. {text}")
    p.add_argument("--out", required=True, help="folder for the runs, logs/ and summary.*")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("grid", help="a grid of settings for one method, chosen on the "
                                    "validation split")
    run_flags(p)
    p.add_argument("--method", default="ddad", help="the method whose settings are searched")
    p.add_argument("--grid", action="append", metavar="NAME=V1,V2,...",
                   help="a setting and its values (repeatable); every combination is run")
    p.add_argument("--seeds", default="0", help="seeds per point, e.g. 0,1 (default: 0)")
    p.add_argument("--out", required=True, help="folder for the runs, grid.json and grid.md")
    p.set_defaults(func=cmd_grid)
