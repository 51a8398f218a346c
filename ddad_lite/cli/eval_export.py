"""`eval RUN [--split test|val|train]`: score a run's student (runs/student.py); `export RUN
--to student.pt|student.ts|student.onnx`: write it, checked by reloading it (runs/export.py).
"""

from __future__ import annotations

import json

from ..runs.export import export_student
from ..runs.student import evaluate_run


def cmd_eval(args):
    print(json.dumps(evaluate_run(args.run, split=args.split, data_root=args.data_root,
                                  device=args.device, size=args.size)))


def cmd_export(args):
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
