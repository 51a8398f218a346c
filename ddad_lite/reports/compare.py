"""One page comparing several runs: `ddad-lite report RUN_A RUN_B ... --out compare.html`.

The headline figures side by side (one column per run), the runs' scores and L_S on shared
axes, and each run's own sections (reports/run_report.py) one after another. With a single
run, `ddad-lite report RUN` rewrites that run's report.html and report.png.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..files import save_text
from . import page
from .run_report import HEADLINE, primary_metric, read_run, run_sections


def unique_names(runs: list[dict]) -> list[str]:
    """Short names for the runs: their folder names, with the parent where two clash."""
    names = [r["name"] for r in runs]
    if len(set(names)) < len(names):
        names = [f"{r['dir'].parent.name}/{r['name']}" for r in runs]
    if len(set(names)) < len(names):
        names = [str(r["dir"]) for r in runs]
    return names


def write_comparison(run_dirs, out) -> Path:
    """Write one HTML page comparing the runs in `run_dirs` to `out`; returns its path."""
    # import cost: matplotlib (~1 s), loaded only once a report is drawn
    from ..viz.report_figures import compare_runs_figure

    if len(run_dirs) < 2:
        raise UserError("a comparison needs two runs or more; `report RUN` alone writes that "
                        "run's own report.html")
    runs = [read_run(d) for d in run_dirs]
    names = unique_names(runs)
    metrics = [r["metrics"] for r in runs]
    keys = [k for k in HEADLINE if any(k in m for m in metrics)]
    rows = [{"figure": k, **{n: m.get(k) for n, m in zip(names, metrics, strict=True)}}
            for k in keys]
    metric = primary_metric(metrics[0])
    figure = compare_runs_figure({n: r["history"] for n, r in zip(names, runs, strict=True)},
                                 metric=metric)
    parts = [page.table(rows, ["figure", *names]), page.figure_tag(figure, "the runs compared")]
    for name, run in zip(names, runs, strict=True):
        parts += [page.heading(f"Run {name}", 2), *run_sections(run)]
    out = Path(out)
    save_text(out, page.html_page(f"{len(runs)} runs compared: {', '.join(names)}", parts))
    return out
