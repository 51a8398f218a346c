"""`references`: make the reference results (ddad_lite/references/) and print their table.

    python -m ddad_lite references                  # every reference, then the README
    python -m ddad_lite references --only shapes-ddad
    python -m ddad_lite references --table          # the Markdown table from the files
"""

from __future__ import annotations

import time
from pathlib import Path

from ..paths import SOURCE_ROOT
from ..references import REFERENCES, reference
from ..references.make import RESULTS_ROOT, RUNS_ROOT, make_reference
from ..references.report import references_table, update_project_readme, write_readme


def _project_readme(out: Path) -> None:
    """The project README's references table, when the references are the checkout's own."""
    if out.resolve() == RESULTS_ROOT.resolve() and update_project_readme(
            SOURCE_ROOT / "README.md", out):
        print(f"updated the references table in {SOURCE_ROOT / 'README.md'}")


def cmd_references(args):
    out = Path(args.out)
    if args.table:
        print(references_table(out))
        return
    if args.readme:
        print(write_readme(out))
        _project_readme(out)
        return
    names = [reference(n.strip()).name for n in args.only.split(",")] if args.only else list(
        REFERENCES)
    start = time.perf_counter()
    for name in names:
        make_reference(REFERENCES[name], runs_root=Path(args.runs), results_root=out,
                       cache_dir=args.cache_dir)
    readme = write_readme(out)
    _project_readme(out)
    print(references_table(out, names))
    print(f"wrote {readme}; references made in {time.perf_counter() - start:.0f} s total")


def add_commands(sub) -> None:
    """Register `references` on `sub`."""
    p = sub.add_parser("references", help="make the reference results (docs/results/<name>/) "
                                          "or print their table")
    p.add_argument("--only", help="comma-separated reference names (default: every one: "
                                  f"{', '.join(REFERENCES)})")
    p.add_argument("--out", default=str(RESULTS_ROOT),
                   help=f"results folder (default: {RESULTS_ROOT})")
    p.add_argument("--runs", default=str(RUNS_ROOT),
                   help=f"git-ignored work folder of the runs (default: {RUNS_ROOT})")
    p.add_argument("--cache-dir", dest="cache_dir", help="teacher cache (default: the kit's)")
    p.add_argument("--table", action="store_true",
                   help="print the Markdown table of the written references and exit")
    p.add_argument("--readme", action="store_true",
                   help="rewrite OUT/README.md from the written references and exit")
    p.set_defaults(func=cmd_references)
