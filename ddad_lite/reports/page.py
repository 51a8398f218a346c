"""A self-contained HTML page: inline style, figures embedded as base64 PNG, no script and no
link outside the page (it opens from a mail attachment or an archive as it is).

    html_page("title", [heading("Curves"), figure_tag(fig, "the losses")])
"""

from __future__ import annotations

import base64
import html
import io

STYLE = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:1em auto;padding:0 1em;
color:#222}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em;
text-align:left}img{max-width:100%}.note{color:#555;font-size:.9em}pre{font-size:.8em;
background:#f6f6f6;padding:.5em;overflow-x:auto}"""


def png_bytes(fig, *, dpi: int = 72) -> bytes:
    """A (closed) matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def image_tag(png: bytes, alt: str) -> str:
    """An <img> whose picture is inside the tag (a data: URI)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def figure_tag(fig, alt: str, *, dpi: int = 72) -> str:
    return image_tag(png_bytes(fig, dpi=dpi), alt)


def heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{html.escape(text)}</h{level}>"


def paragraph(text: str, *, note: bool = False) -> str:
    return f'<p{" class=note" if note else ""}>{html.escape(text)}</p>'


def cell(value) -> str:
    """A value as table text: floats to 4 significant digits, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(rows: list[dict], columns: list[str]) -> str:
    """An HTML table of `rows` (dicts) with one column per key in `columns`."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(r.get(c)))}</td>" for c in columns)
                   + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def preformatted(text: str, summary: str) -> str:
    """Text folded under a summary line (e.g. a run's config)."""
    return (f"<details><summary>{html.escape(summary)}</summary><pre>{html.escape(text)}"
            "</pre></details>")


def html_page(title: str, parts: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"{heading(title, 1)}\n" + "\n".join(parts) + "\n</body></html>\n")
