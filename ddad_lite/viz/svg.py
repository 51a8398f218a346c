"""Every figure a notebook shows, also written as an SVG file: slide-ready copies of a lesson's
figures in its run folder, `out/figures/NN_title.svg`.

One place does it for every figure, whichever way it reaches the notebook: a viz function's
figure as a cell's value or through `display(fig)`, and a figure a notebook draws itself with
pyplot (`plt.show()`, or left open at the end of a cell). All of these go through IPython's
display formatter, so `save_shown_figures(folder)` (called by the lesson's `setup`) adds to it
one formatter, for matplotlib figures only, that writes the SVG and returns nothing: the
notebook's outputs are unchanged (the PNG stays the only picture in the .ipynb) and the SVGs
stay in the run's folder, out of git.

Files are numbered in the order the figures are shown, `01_...`, named after the figure's
title (its suptitle, else the first axes' title, else "figure"). Installing the formatter
empties the folder of SVGs, so it holds the figures of the notebook's latest run from its top.
Widgets draw through their static twins (`figure()`); animations are HTML and not copied.
Outside IPython (a script, the CLI) nothing is installed.
"""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.figure import Figure, FigureBase

from ..files import atomic_write

MIME = "application/x.ddad-lite.svg-file"  # never in an output: the formatter returns None
MAX_NAME = 60


def figure_title(fig: Figure) -> str:
    """The figure's suptitle, else its first non-empty axes title, else ""."""
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        return suptitle.get_text()
    for ax in fig.get_axes():
        for title in (ax.get_title(), ax.get_title("left"), ax.get_title("right")):
            if title.strip():
                return title
    return ""


def slug(text: str) -> str:
    """A file name's stem from a title: lower case, runs of other characters as one "-"."""
    stem = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:MAX_NAME].rstrip("-")
    return stem or "figure"


def save_svg(fig: Figure, path: str | Path) -> Path:
    """Write `fig` as an SVG file at `path` (atomically; cropped as the notebook shows it)."""
    path = Path(path)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="svg", bbox_inches="tight"))
    return path


class ShownFigures:
    """Writes each figure it is called with to `folder/NN_title.svg`, in order."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.count = 0
        self.written: list[Path] = []

    def __call__(self, fig: Figure) -> None:
        self.count += 1
        path = self.folder / f"{self.count:02d}_{slug(figure_title(fig))}.svg"
        self.written.append(save_svg(fig, path))
        return None  # nothing for the notebook's output


def save_shown_figures(folder: str | Path, *, shell=None) -> ShownFigures | None:
    """In IPython: write every matplotlib figure shown from now on to `folder` as SVG (module
    doc); the folder is made and emptied of SVGs. Returns the writer, or None outside IPython
    (`shell`: the IPython shell, by default the running one)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
    if shell is None:
        return None
    from IPython.core.formatters import BaseFormatter

    class SVGFileFormatter(BaseFormatter):
        format_type = MIME
        print_method = "_repr_ddad_lite_svg_file_"  # no object has it: figures only

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.svg"):
        old.unlink()
    writer = ShownFigures(folder)
    formatter = SVGFileFormatter(parent=shell.display_formatter)
    # Registered for Figure's base class: when the inline backend starts (on the first figure,
    # after this call) IPython's select_figure_formats pops Figure from every formatter.
    formatter.for_type(FigureBase, writer)
    shell.display_formatter.formatters[MIME] = formatter  # replaces an earlier lesson's
    return writer
