"""The executed notebook series as a static site, viewable from disk (`make site`).

    build_site(series="runs/quick", out="site")   # python -m ddad_lite site

Reads what `reproduce` wrote into a series folder (`results.json` and the executed
`notebooks/NN_name.ipynb`) and writes into `out/`:

  index.html        the results table (status, wall time, key figures per notebook, each
                    linked to its page) and the provenance (commit, versions, device, date)
  NN_name.html      one page per executed notebook: its text, code, figures and the
                    animation twins of its widgets (HTML players with the frames embedded)

Nothing is fetched from the network: the pages carry their images as data URIs, no script
from a CDN (MathJax's formulas stay as TeX), and a widget's live view, which needs a kernel,
is replaced by a line pointing at the static and animation twins drawn beside it. Every file
is written atomically; pages of notebooks no longer in the series are removed.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from ..errors import UserError
from ..files import save_text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<p class='widget-note'><em>An interactive browser stands here in JupyterLab; "
               "its static figure and its animation follow.</em></p>")
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.figures { font-size: 0.85em; }
dl.provenance dt { font-weight: bold; float: left; clear: left; width: 12em; }
dl.provenance dd { margin-left: 13em; }
nav a { margin-right: 1em; }
"""


def _clean_notebook(nb) -> None:
    """Drop what needs a kernel or the network: widget state and widget views."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": WIDGET_NOTE}})
            else:
                outputs.append(output)
        cell.outputs = outputs


NETWORK_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>",
                            re.IGNORECASE)
NETWORK_STYLESHEET = re.compile(r"<link[^>]*\bhref=[\"']https?://[^\"']*[\"'][^>]*>",
                                re.IGNORECASE)


def notebook_page(executed: Path, *, nav: str) -> str:
    """The HTML page of one executed notebook, with nothing to fetch from the network."""
    import nbformat  # optional extra: notebooks
    from nbconvert import HTMLExporter  # optional extra: notebooks

    nb = nbformat.read(executed, as_version=4)
    _clean_notebook(nb)
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb)
    body = NETWORK_SCRIPT.sub("", body)  # require.js, MathJax: the page works without them
    body = NETWORK_STYLESHEET.sub("", body)
    return body.replace("<body", "<body data-site-page='notebook'", 1).replace(
        "<main>", f"<main>{nav}", 1) if "<main>" in body else body.replace(
        "<body>", f"<body>{nav}", 1)


def _page(title: str, content: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{content}</body></html>\n")


def _figures_cell(row: dict) -> str:
    if row.get("status") != "ok":
        return html.escape(row.get("error", ""))
    parts = []
    for key, value in row.get("key_figures", {}).items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)[:80]
        text = str(value)
        parts.append(f"{html.escape(key)} {html.escape(text[:40])}")
    return ", ".join(parts)


def index_page(results: dict, pages: dict[str, str]) -> str:
    """The index: results table with links, then the provenance."""
    p = results.get("provenance", {})
    rows = []
    for row in results.get("notebooks", []):
        name = row["notebook"]
        link = (f"<a href='{html.escape(pages[name])}'>{html.escape(name)}</a>"
                if name in pages else html.escape(name))
        rows.append(f"<tr><td>{link}</td><td>{html.escape(str(row.get('status')))}</td>"
                    f"<td>{row.get('wall_seconds', '')}</td>"
                    f"<td class='figures'>{_figures_cell(row)}</td></tr>")
    provenance = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                         for k, v in p.items())
    total = results.get("total_seconds")
    content = (f"<h1>ddad-lite: the notebook series, profile "
               f"<code>{html.escape(str(p.get('profile', '?')))}</code></h1>"
               "<p>Each notebook below was executed headless by <code>make reproduce</code>; "
               "its page shows its text, code, figures and the animations of its image "
               "browsers. Accuracies are fractions of the real test split.</p>"
               "<table><thead><tr><th>notebook</th><th>status</th><th>wall s</th>"
               f"<th>key figures</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
               + (f"<p>Total: {total} s.</p>" if total is not None else "")
               + f"<h2>Provenance</h2><dl class='provenance'>{provenance}</dl>")
    return _page("ddad-lite notebook series", content)


def build_site(series="runs/quick", out="site") -> Path:
    """Render the executed series in `series` into `out/`; returns the index's path."""
    series, out = Path(series), Path(out)
    results_path = series / "results.json"
    if not results_path.exists():
        raise UserError(f"no executed series in {series} (no results.json): run `make "
                        "reproduce` first (or `python -m ddad_lite reproduce --profile smoke` "
                        f"and `--series runs/smoke`)")
    results = json.loads(results_path.read_text(encoding="utf-8"))
    executed = {row["notebook"]: series / "notebooks" / f"{row['notebook']}.ipynb"
                for row in results.get("notebooks", [])}
    pages = {name: f"{name}.html" for name, path in executed.items() if path.exists()}
    names = list(pages)
    for k, name in enumerate(names):
        links = ["<a href='index.html'>index</a>"]
        if k > 0:
            links.append(f"<a href='{names[k - 1]}.html'>previous: {names[k - 1]}</a>")
        if k + 1 < len(names):
            links.append(f"<a href='{names[k + 1]}.html'>next: {names[k + 1]}</a>")
        nav = f"<nav class='site-nav'>{''.join(links)}</nav>"
        save_text(out / pages[name], notebook_page(executed[name], nav=nav))
    for stale in out.glob("[0-9][0-9]_*.html"):
        if stale.stem not in pages:
            stale.unlink()
    index = out / "index.html"
    save_text(index, index_page(results, pages))
    return index


__all__ = ["build_site", "index_page", "notebook_page"]
