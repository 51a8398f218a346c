"""The flags for one's own models, shared by the run commands:

  --teacher NAME --student NAME       a kit model, torchvision:NAME or timm:NAME
  --teacher-file PATH [--trust-pickle]  a trained teacher (teacher/own_file.py)

One's own data is `data prepare imagefolder` (cli/data.py); a run's student is scored and
exported by `eval` and `export` (cli/eval_export.py). docs/your-own-teacher.md walks through
them.
"""

from __future__ import annotations

from ..errors import UserError
from ..teacher import load_user_teacher


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
    model, record = load_user_teacher(args.teacher_file, cfg.teacher_recipe,
                                      trust_pickle=args.trust_pickle)
    return model.to(cfg.device), record
