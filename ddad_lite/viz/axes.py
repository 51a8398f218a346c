"""Axes that read well: whole-number iteration ticks, plain numbers on log axes, and tick
labels kept legible when a notebook shrinks a wide figure to its cell.

- `iteration_axis(ax)`: x labelled "iteration", ticks only at whole iterations (matplotlib
  would place 0.5, 1.5 ... on a short run).
- `log_axis(ax, "y")`: a log scale labelled with plain numbers (0.1, 0.2, 0.5, 1, 2, 5, 10)
  instead of 10^0 and 2x10^0; the in-between labels (2 and 5 of each decade) only while the
  axis spans few decades, so that a wide range is not crowded.
- `legible(fig)`: JupyterLab shows a PNG wider than its output area scaled down (about
  `CELL_WIDTH_INCHES` at the inline backend's 100 dpi); the figure's text (ticks, labels,
  titles, legends) is enlarged in proportion, tick labels to at least `MIN_TICK_POINTS`, then
  the figure is laid out (tight).
"""

from __future__ import annotations

import math

from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

CELL_WIDTH_INCHES = 9.0
MIN_TICK_POINTS = 9.0
MAX_DECADES_WITH_MINOR_LABELS = 2.0


def iteration_axis(ax, label: str = "iteration", **label_kwargs):
    """Label the x axis `label` and put its ticks at whole numbers only."""
    ax.set_xlabel(label, **label_kwargs)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def plain_number(value: float, _position=None) -> str:
    """A tick value written as a person would: 0.02, 0.5, 1, 20, 3000, 1e+06."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.6g}" if 1e-4 <= abs(value) < 1e5 else f"{value:.0e}"


def log_axis(ax, which: str = "y"):
    """A log scale on `which` ("x" or "y") with plain-number labels."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_locator(LogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))

    def minor(value, position):
        low, high = sorted(ax.get_ylim() if which == "y" else ax.get_xlim())
        if low <= 0 or math.log10(high / low) > MAX_DECADES_WITH_MINOR_LABELS:
            return ""
        return plain_number(value)

    axis.set_minor_formatter(FuncFormatter(minor))
    return ax


def legible(fig):
    """Lay out `fig` (tight) with its text enlarged in proportion to how much wider than a
    notebook cell it is, tick labels at least `MIN_TICK_POINTS`, so that once the notebook
    scales it to the cell every label reads at its intended size."""
    scale = max(1.0, fig.get_figwidth() / CELL_WIDTH_INCHES)
    for ax in fig.get_axes():
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            ticks = axis.get_major_ticks()
            size = ticks[0].label1.get_fontsize() if ticks else MIN_TICK_POINTS
            ax.tick_params(axis=name, which="both", labelsize=max(size, MIN_TICK_POINTS) * scale)
        if scale > 1:
            texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
            legend = ax.get_legend()
            if legend is not None:
                texts += legend.get_texts()
            texts += list(ax.texts)
            for text in texts:
                text.set_fontsize(text.get_fontsize() * scale)
    if scale > 1 and fig._suptitle is not None:
        fig._suptitle.set_fontsize(fig._suptitle.get_fontsize() * scale)
    # Twice: the first pass sizes the margins from the axes as laid out before any fixed
    # aspect (imshow) shrinks them, which can leave a title partly outside the figure.
    fig.tight_layout()
    fig.tight_layout()
    return fig
