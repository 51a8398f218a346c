"""The method comparison's figures: accuracy (final, mean, best), forgetting and wall time;
and the control of a generator that fails.

    method_comparison_figure(summary)   three panels from `ddad_lite.runs.sweep.summarize(rows)`;
                                        error bars are the standard deviation over seeds
    generator_control_figure(snaps)     over training, on G(fixed z): T's effective classes,
                                        exp(H(T's predicted classes)), and T's mean logit norm
                                        ||T(G(z))||_2 beside its value on real images
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .axes import iteration_axis, legible
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
    legible(fig)
    return done(fig)


def generator_control_figure(snapshots_by_method: dict, *, real_logit_norm: float | None = None,
                             num_classes: int | None = None) -> Figure:
    """The control of a failing generator: over training, on G(fixed z), T's effective number
    of classes (exp of the entropy of its predicted classes; collapse onto few classes) and
    T's mean logit norm (inflated logits; dashed: the same on real test images), one line per
    method. `snapshots_by_method`: {method: the run's snapshots (`load_snapshots`)}."""
    fig, (ax_classes, ax_norm) = plt.subplots(1, 2, figsize=(11, 3.6))
    for i, (method, snapshots) in enumerate(snapshots_by_method.items()):
        its = [s["iteration"] for s in snapshots]
        ax_classes.plot(its, [s.get("teacher_effective_classes") for s in snapshots],
                        marker="o", ms=3, color=f"C{i}", label=method)
        ax_norm.plot(its, [s.get("teacher_logit_norm") for s in snapshots],
                     marker="o", ms=3, color=f"C{i}", label=method)
    if num_classes:
        ax_classes.axhline(num_classes, color="gray", ls=":", label="all classes")
    if real_logit_norm is not None:
        ax_norm.axhline(real_logit_norm, color="black", ls="--", label="real test images")
    ax_classes.set_ylim(bottom=0)
    ax_classes.set_title("T's effective classes on G(z)")
    ax_norm.set_title("T's mean logit norm on G(z)")
    for ax in (ax_classes, ax_norm):
        iteration_axis(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    legible(fig)
    return done(fig)
