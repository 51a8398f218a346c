"""The command line's page and series commands: `reproduce` (the notebook series headless),
`report` (a run's report.html, or runs compared on one page), `site` (the executed series as
static HTML) and `figures` (the README's figures from a real run). `bench` and
`gpu-reproduce` are in cli/speed.py.
"""

from __future__ import annotations

from ..config.recipes import PROFILES
from ..errors import UserError
from ..reports import write_comparison, write_run_report
from ..series.figures import make_figures
from ..series.reproduce import reproduce
from ..series.site import build_site


def cmd_reproduce(args):
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    reproduce(profile=args.profile, only=only, out_root=args.out_root, device=args.device,
              timeout=args.timeout)


def cmd_report(args):
    if len(args.runs) == 1 and not args.out:
        print(write_run_report(args.runs[0]))
    elif len(args.runs) == 1:
        raise UserError("--out names a comparison page; give two runs or more, or leave it "
                        "out to rewrite the run's own report.html")
    else:
        print(write_comparison(args.runs, args.out or "comparison.html"))


def cmd_site(args):
    print(build_site(series=args.series, out=args.out))


def cmd_figures(args):
    for path in make_figures(args.out, profile=args.profile):
        print(path)


def add_commands(sub) -> None:
    """Register reproduce, report, site and figures on `sub`."""
    p = sub.add_parser("reproduce", help="run the notebook series headless")
    p.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)}")
    p.add_argument("--only", help="comma-separated notebook numbers, e.g. 02,03")
    p.add_argument("--out-root", dest="out_root", default="runs",
                   help="results go to OUT_ROOT/PROFILE/ (default: runs)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("report", help="a run's report.html, or one page comparing runs")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders (distill --out)")
    p.add_argument("--out", help="the page comparing two runs or more (comparison.html)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("site", help="the executed series as static HTML (index and pages)")
    p.add_argument("--series", default="runs/quick",
                   help="an executed series folder (default: runs/quick, from make reproduce)")
    p.add_argument("--out", default="site", help="the site's folder (default: site)")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("figures", help="the README's figures from a real run (2-D game)")
    p.add_argument("--out", default="docs/figures", help="folder (default: docs/figures)")
    p.add_argument("--profile", default="quick", help="the 2-D game's budget (default: quick)")
    p.set_defaults(func=cmd_figures)
