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
  references make the reference results (docs/results/<name>/) or print their table
(one's own teacher, student and data: `--teacher`, `--teacher-file`, `data prepare
imagefolder --name`; cli/own_models.py and docs/your-own-teacher.md)

Every setting of a run can be given as `--set name=value` (repeatable; `distill
--help-settings` lists them with their types and defaults for a method); the named flags
(`--iterations`, `--alpha`, ...) are shorthands for some of them. A mistake in the input ends
with one line on stderr naming the problem and the fix, and exit status 2 (a malformed command
line too); existing files are left as they were. Ctrl-C (exit 130) names the files that were
written before it, all complete (atomic writes).
"""

from __future__ import annotations

import argparse
import sys

from ..errors import UserError
from ..files import WRITTEN
from . import data, distill, eval_export, pages, references, speed, teacher


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a malformed command line is one line on stderr (exit 2), as every other
    mistake is, instead of the usage block."""

    def error(self, message):
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m ddad_lite", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for family in (teacher, distill, data, eval_export, pages, speed, references):
        family.add_commands(sub)
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
