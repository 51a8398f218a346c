"""runs/<profile>/index.html of `reproduce`: every executed notebook (its HTML and .ipynb) and
the results table on one page, links relative to the page so the folder can be moved whole.

    write_series_index(run_root, results)   # results: what reproduce writes to results.json
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from ..files import save_text
from . import page


def _relative(path: str | None, root: Path) -> str | None:
    return os.path.relpath(path, root) if path else None


def _figures(row: dict) -> str:
    if row.get("status") != "ok":
        return row.get("error", "")
    return ", ".join(f"{k} {page.cell(v)}" for k, v in row.get("key_figures", {}).items())


def series_index_html(run_root: Path, results: dict) -> str:
    """The page's HTML for `results` (reproduce's results.json) in `run_root`."""
    p = results.get("provenance", {})
    rows = []
    for row in results.get("notebooks", []):
        links = [page.link(_relative(row[k], run_root), label)
                 for k, label in (("html", "page"), ("path", "notebook")) if row.get(k)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in (
            html.escape(row["notebook"]), " | ".join(links),
            html.escape(row.get("status", "")), page.cell(row.get("wall_seconds")),
            html.escape(_figures(row)))) + "</tr>")
    head = "".join(f"<th>{c}</th>" for c in ("notebook", "open", "status", "wall s",
                                             "key figures"))
    total = results.get("total_seconds")
    parts = [page.paragraph(f"commit {p.get('git_commit')}, Python {p.get('python_version')}, "
                            f"torch {p.get('torch_version')}, device {p.get('device')}, "
                            f"{p.get('date')}" + (f"; total {total} s" if total else "; "
                                                  "still running or stopped early")),
             f"<table><tr>{head}</tr>{''.join(rows)}</table>",
             "<p class=note>The same table as Markdown and JSON: "
             f"{page.link('results.md', 'results.md')}, "
             f"{page.link('results.json', 'results.json')}</p>"]
    return page.html_page(f"ddad-lite notebook series: profile {p.get('profile')}", parts)


def write_series_index(run_root, results: dict) -> Path:
    root = Path(run_root)
    save_text(root / "index.html", series_index_html(root, results))
    return root / "index.html"
