"""The command line for one's own teacher, student and data (`__main__.py` adds these):

  distill --teacher NAME --student NAME       a kit model, torchvision:NAME or timm:NAME
  distill --teacher-file PATH [--trust-pickle]  a trained teacher (user_teacher.py)
  data prepare imagefolder --from DIR --name NAME [--image-size N] [--test-fraction F]
                                              one's own class folders (data/imagefolder.py)
  eval RUN [--split test|val|train]           score a run's student (runs/student.py)
  export RUN --to student.pt|student.ts|student.onnx   (runs/export.py)

docs/your-own-teacher.md walks through them.
"""

from __future__ import annotations

import json

from .errors import UserError


def model_flags(p) -> None:
    """`--teacher` and `--student` (for teacher, distill and grid)."""
    p.add_argument("--teacher", help="the teacher's architecture: a kit model, "
                                     "torchvision:NAME or timm:NAME (default: the recipe's)")
    p.add_argument("--student", help="the student's architecture, named the same ways")


def model_overrides(args) -> dict:
    """The settings `--teacher`/`--student` make (the recipe's model kwargs are dropped:
    they belong to the recipe's model)."""
    out = {}
    for role in ("teacher", "student"):
        if getattr(args, role, None):
            out.update({role: getattr(args, role), f"{role}_kwargs": {}})
    return out


def teacher_file_flags(p) -> None:
    p.add_argument("--teacher-file", dest="teacher_file",
                   help="a trained teacher: a state dict for --teacher's architecture, "
                        "TorchScript, or (with --trust-pickle) a whole pickled module")
    p.add_argument("--trust-pickle", dest="trust_pickle", action="store_true",
                   help="allow a --teacher-file that is a pickled module (unpickling can run "
                        "code: only for files you trust)")


def given_teacher(args, cfg):
    """(model, record) from `--teacher-file`, or None (the recipe's teacher, cached)."""
    if not getattr(args, "teacher_file", None):
        if getattr(args, "trust_pickle", False):
            raise UserError("--trust-pickle applies to --teacher-file; give the file too")
        return None
    from .user_teacher import load_user_teacher

    model, record = load_user_teacher(args.teacher_file, cfg.teacher_recipe,
                                      trust_pickle=args.trust_pickle)
    return model.to(cfg.device), record


def image_folder_flags(p) -> None:
    """`data prepare imagefolder`'s options."""
    p.add_argument("--name", dest="as_name", help="imagefolder: the name to prepare it under, then "
                                  "distill --dataset NAME (default: imagefolder)")
    p.add_argument("--image-size", dest="image_size", type=int,
                   help="imagefolder: resize every image to N x N (default: the images' own "
                        "size, which must be one square size)")
    p.add_argument("--test-fraction", dest="test_fraction", type=float,
                   help="imagefolder without train/ and test/: the share of each class held "
                        "out for testing (default: 0.2)")
    p.add_argument("--seed", type=int, help="imagefolder: the seed of that split (default: 0)")
    p.add_argument("--mean", help="imagefolder: normalisation mean per channel, e.g. "
                                  "0.485,0.456,0.406 (default: measured on the train split)")
    p.add_argument("--std", help="imagefolder: normalisation std per channel (default: "
                                 "measured)")


def image_folder_options(args) -> dict:
    out = {"image_size": args.image_size, "test_fraction": args.test_fraction,
           "seed": args.seed}
    for name in ("mean", "std"):
        text = getattr(args, name)
        if text is not None:
            try:
                values = [float(v) for v in text.split(",")]
            except ValueError:
                values = []
            if len(values) != 3 or (name == "std" and min(values) <= 0):
                raise UserError(f"--{name} takes 3 numbers separated by commas, e.g. "
                                f"0.5,0.5,0.5, not {text!r}")
            out[name] = values
    if args.image_size is not None and args.image_size < 4:
        raise UserError(f"--image-size must be at least 4, not {args.image_size}")
    return out


def cmd_eval(args):
    from .runs.student import evaluate_run

    print(json.dumps(evaluate_run(args.run, split=args.split, data_root=args.data_root,
                                  device=args.device, size=args.size)))


def cmd_export(args):
    from .runs.export import export_student

    print(json.dumps(export_student(args.run, args.to, data_root=args.data_root)))


def add_commands(sub) -> None:
    """The `eval` and `export` subcommands."""
    p = sub.add_parser("eval", help="score a run's student on a split")
    p.add_argument("run", help="the run folder (distill's --out)")
    p.add_argument("--split", default="test", help="test, val or train (default: test)")
    p.add_argument("--size", type=int, help="score this many images of the split (default: "
                                            "all)")
    p.add_argument("--data-root", dest="data_root",
                   help="where the dataset is prepared (default: the run's)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("export", help="write a run's student as a state dict, TorchScript "
                                      "or ONNX, checked by reloading it")
    p.add_argument("run", help="the run folder (distill's --out)")
    p.add_argument("--to", required=True,
                   help="student.pt (state dict), student.ts (TorchScript) or student.onnx")
    p.add_argument("--data-root", dest="data_root",
                   help="where the dataset is prepared (default: the run's)")
    p.set_defaults(func=cmd_export)
