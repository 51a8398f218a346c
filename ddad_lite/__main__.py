"""The command line: `python -m ddad_lite SUBCOMMAND ...` (also installed as `ddad-lite`).

  teacher    train (or load from the cache) the teacher of a dataset's recipe
  distill    distil a teacher into a student with a method and a profile (`--seeds 0,1,2`:
             one run per seed and a summary over them); data parallel under torchrun
  sweep      methods x seeds, a process per run queued over `--devices` (docs/scale.md)
  data       prepare (download or import, then verify) a dataset, or print its info
  reproduce  run the notebook series headless with papermill, and tabulate the results
  report     rewrite a run's report.html and report.png, or compare runs on one page
  site       the executed series as static HTML under site/
  figures    the README's figures (docs/figures/*.png) from a real run of the 2-D game
  bench      time the engine's iteration against the straightforward reference loop
  eval       score a run's student on a split; export: write it as .pt, .ts or .onnx
(one's own teacher, student and data: `--teacher`, `--teacher-file`, `data prepare
imagefolder --name`; cli_own.py and docs/your-own-teacher.md)

Every setting of a run can be given as `--set name=value` (repeatable; `distill
--help-settings` lists them with their types and defaults for a method); the named flags
(`--iterations`, `--alpha`, ...) are shorthands for some of them. A mistake in the input ends
with one line on stderr naming the problem and the fix, and exit status 2 (a malformed command
line too); existing files are left as they were. Ctrl-C (exit 130) names the files that were
written before it, all complete (atomic writes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import cli_own, cli_pages
from .errors import UserError
from .files import WRITTEN, finite_json
from .recipes import RUN_PROFILES

# Named flags and the setting each one sets (the rest go through --set name=value).
NAMED_FLAGS = {"iterations": "iterations", "batch_size": "batch_size",
               "student_steps": "student_steps", "alpha": "bn", "beta": "adversarial",
               "discrepancy": "discrepancy", "lr_student": "lr_student",
               "lr_generator": "lr_generator", "eval_every": "eval_every", "seed": "seed",
               "device": "device", "data_root": "data_root",
               "checkpoint_every": "checkpoint_every",
               "checkpoint_minutes": "checkpoint_minutes", "time_limit": "time_limit"}


def _overrides(args) -> dict:
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
    out.update(cli_own.model_overrides(args))
    for item in getattr(args, "set", None) or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set takes name=value, not {item!r}; e.g. --set bn=0.5")
        out[name.strip()] = value.strip()
    return out


def cmd_teacher(args):
    from .configure import make_config
    from .teacher import load_or_train_teacher

    cfg = make_config(args.dataset, "ddad", args.profile, **_overrides(args))
    _, record = load_or_train_teacher(cfg.teacher_recipe, cache_dir=args.cache_dir,
                                      data_root=cfg.data_root, device=cfg.device,
                                      progress=cfg.progress, retrain=args.retrain)
    print(json.dumps({k: record[k] for k in ("path", "sha256", "accuracy", "trained_now")}))


def cmd_distill(args):
    from .configure import make_config, settings_help
    from .distributed import in_process_group
    from .runs.run import run_distillation

    if args.help_settings:
        for name, kind, default in settings_help(args.method):
            print(f"{name:24s} {kind:14s} {default!r}")
        return
    if not args.out:
        raise UserError("distill needs --out DIR (the run folder for checkpoint and metrics)")
    if args.seeds is not None:
        return _distill_seeds(args)
    cfg = make_config(args.dataset, args.method, args.profile, **_overrides(args))
    metrics = in_process_group(cfg.device, lambda parallel: run_distillation(
        cfg, args.out, resume=args.resume, cache_dir=args.cache_dir,
        teacher=cli_own.given_teacher(args, cfg), tensorboard=args.tensorboard,
        parallel=parallel))
    keys = ("dataset", "method", "profile", "teacher_acc", "student_acc", "mean_student_acc",
            "best_student_acc", "teacher_miou", "student_miou", "iterations", "wall_seconds",
            "images_per_second", "world_size")
    if metrics is not None:  # None: a rank other than 0 of a torchrun (rank 0 reports)
        print(json.dumps(finite_json({k: metrics[k] for k in keys if k in metrics})))


def _distill_seeds(args):
    """`--seeds 0,1,2`: one run per seed in OUT/seed_N/ (a finished one is read back, one cut
    short resumed), then OUT/summary.json and OUT/summary.md: mean, std and every point."""
    from pathlib import Path

    from .configure import make_config
    from .reports.tensorboard import write_tensorboard
    from .runs.store import load_history, run_or_load
    from .runs.sweep import run_row, write_seed_summary

    if args.seed is not None or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise UserError("give either --seed N or --seeds N,M,..., not both (and --seeds not "
                        "under torchrun: it runs one process per seed)")
    seeds = _seed_list(args.seeds)
    configs = [make_config(args.dataset, args.method, args.profile,
                           **{**_overrides(args), "seed": seed}) for seed in seeds]
    rows = []
    teacher = cli_own.given_teacher(args, configs[0])
    for cfg in configs:
        run_dir = Path(args.out) / f"seed_{cfg.seed}"
        metrics = run_or_load(cfg, run_dir, cache_dir=args.cache_dir, teacher=teacher)
        if args.tensorboard:
            write_tensorboard(run_dir)
        rows.append(run_row(metrics, load_history(run_dir), run_dir=run_dir))
    print(json.dumps(write_seed_summary(rows, args.out)["summary"]))


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds takes integers separated by commas, e.g. 0,1,2, not "
                        f"{text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds needs distinct seeds, e.g. 0,1,2, not {text!r}")
    return seeds


def cmd_sweep(args):  # runs/sweep.py: one process per run, queued over the devices
    from .runs.sweep import sweep, sweep_table, write_seed_summary

    methods, devices = ([v.strip() for v in text.split(",") if v.strip()]
                        for text in (args.methods, args.devices))
    rows = sweep(methods, dataset=args.dataset, profile=args.profile, devices=devices or ["cpu"],
                 seeds=_seed_list(args.seeds), out_root=args.out, cache_dir=args.cache_dir,
                 **_overrides(args))
    print(sweep_table(write_seed_summary(rows, args.out)["summary"], percent=False, entropy=True))


def cmd_grid(args):
    from .runs.grid import grid_search, grid_table, write_grid

    grid = {}
    for item in args.grid or []:
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise UserError(f"--grid takes name=v1,v2,..., not {item!r}; e.g. --grid bn=0.1,1,10")
        grid[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    result = grid_search(args.method, grid, dataset=args.dataset, profile=args.profile,
                         seeds=_seed_list(args.seeds), out_root=args.out,
                         cache_dir=args.cache_dir, **_overrides(args))
    write_grid(result, args.out)
    print(grid_table(result))


def cmd_data(args):
    from .data.prepare import dataset_summary, prepare_dataset

    if args.action == "prepare":
        manifest = prepare_dataset(args.name, source=args.source, root=args.data_root,
                                   progress=not args.no_progress, as_name=args.as_name,
                                   options=cli_own.image_folder_options(args))
        print(json.dumps(manifest, default=str))
    else:
        print(json.dumps(dataset_summary(args.name, root=args.data_root)))


def _duration(text: str) -> float:
    """argparse type: seconds from 90, 90s, 6m or 1.5h (a malformed one is one line)."""
    from .settings import parse_duration

    try:
        return parse_duration(text)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a malformed command line is one line on stderr (exit 2), as every other
    mistake is, instead of the usage block."""

    def error(self, message):
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    from .methods import available_methods

    parser = OneLineParser(prog="python -m ddad_lite", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def run_flags(p):
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
        cli_own.model_flags(p)
        p.add_argument("--set", action="append", metavar="NAME=VALUE",
                       help="any setting of the run or the method, typed and checked "
                            "(repeatable); `distill --help-settings` lists them")

    p = sub.add_parser("teacher", help="train or load the teacher of a dataset's recipe")
    run_flags(p)
    p.add_argument("--retrain", action="store_true", help="train even if a cached one exists")
    p.set_defaults(func=cmd_teacher)

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
    cli_own.teacher_file_flags(p)
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
    p.add_argument("--time-limit", dest="time_limit", type=_duration,
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

    p = sub.add_parser("data", help="prepare a dataset or print its info")
    p.add_argument("action", choices=("prepare", "info"))
    p.add_argument("name", help="cifar10, cifar100, mnist, caltech101, camvid, nyuv2, "
                                "imagefolder, shapes, scenes")
    p.add_argument("--from", dest="source",
                   help="import a local archive or folder instead of downloading")
    p.add_argument("--data-root", dest="data_root",
                   help="where datasets live (default: $DDAD_DATA or ./data)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    cli_own.image_folder_flags(p)
    p.set_defaults(func=cmd_data)

    cli_own.add_commands(sub)
    cli_pages.add_commands(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(interrupted_message(WRITTEN), file=sys.stderr)
        return 130
    return 0


def interrupted_message(written) -> str:
    """What Ctrl-C leaves: the files this process wrote (each complete), or that none was."""
    if not written:
        return "interrupted before any file was written; nothing to clean up"
    names = list(dict.fromkeys(str(p) for p in written))
    shown = ", ".join(names[-3:]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    resume = ("; continue the run with --resume"
              if any(p.endswith("checkpoint.pt") for p in names) else "")
    return f"interrupted; the files written before it are complete: {shown}{resume}"


if __name__ == "__main__":
    sys.exit(main())
