"""The method comparison's figure: accuracy (final, mean, best), forgetting and wall time.

    method_comparison_figure(summary)   three panels from `ddad_lite.runs.sweep.summarize(rows)`;
                                        error bars are the standard deviation over seeds
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .images import done


def method_comparison_figure(summary: list[dict], *, percent: bool = True) -> Figure:
    """Grouped bars of final, mean and best accuracy; bars of forgetting and wall time."""
    scale = 100.0 if percent else 1.0
    methods = [e["method"] for e in summary]
    xs = range(len(methods))
    fig, (ax_acc, ax_forget, ax_time) = plt.subplots(
        1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [2.2, 1, 1]})
    width = 0.27
    for i, field in enumerate(("final", "mean", "best")):
        values = [(e[field] or 0) * scale for e in summary]
        errors = [e[field + "_std"] * scale for e in summary]
        chooser = "/".join(sorted({e.get("selected_on", "test") for e in summary}))
        label = field + (f" (chosen on {chooser})" if field == "best" else "")
        ax_acc.bar([x + (i - 1) * width for x in xs], values, width, yerr=errors, capsize=2,
                   label=label, color=f"C{i}")
    ax_acc.set_ylabel("test accuracy" + (" (%)" if percent else ""))
    ax_acc.set_title("Student accuracy")
    ax_acc.legend(fontsize=8)
    for ax, field, title, s in ((ax_forget, "forgetting", "Forgetting (largest drop)", scale),
                                (ax_time, "wall_seconds", "Wall time (s)", 1.0)):
        ax.bar(xs, [(e[field] or 0) * s for e in summary],
               yerr=[e[field + "_std"] * s for e in summary], capsize=2, color="C7")
        ax.set_title(title)
    for ax in (ax_acc, ax_forget, ax_time):
        ax.set_xticks(list(xs), methods, rotation=35, ha="right")
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return done(fig)
