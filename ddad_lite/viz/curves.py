"""Curves of a run (losses, accuracy) and comparisons of runs (ablations).

A history is the engine's `Distiller.history`: {"train": [{iteration, loss_S, loss_G,
loss_bn, loss_adv, ...}], "eval": [{iteration, student_acc}], "bn_layers": [...]}. Accuracies
are fractions; the teacher's accuracy, when given, is drawn as a dashed line.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .axes import iteration_axis, legible, log_axis
from .images import done

LOSS_LABELS = {"loss_S": "L_S = D(S(x), T(x))", "loss_G": "L_G", "loss_bn": "L_BN",
               "loss_adv": "D(S(x), T(x)) in L_G"}


def loss_curve(values, *, iterations=None, title: str = "loss", ylabel: str = "loss",
               log: bool = False) -> Figure:
    """One loss over iterations (e.g. the BN loss of an inversion)."""
    fig, ax = plt.subplots(figsize=(5, 3))
    xs = iterations if iterations is not None else range(len(values))
    ax.plot(list(xs), list(values))
    if log and min(values) > 0:
        log_axis(ax)
    iteration_axis(ax)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    legible(fig)
    return done(fig)


def history_figure(history: dict, *, metric: str = "student_acc",
                   teacher_score: float | None = None, title: str | None = None) -> Figure:
    """One panel per loss of training (L_S, L_G, L_BN, D in L_G: their scales differ by
    orders of magnitude, so each gets its own axis), then the student's score on the real test
    split."""
    train = history.get("train", [])
    losses = [(key, label) for key, label in LOSS_LABELS.items()
              if any(key in r for r in train)]
    fig, axes = plt.subplots(1, len(losses) + 1, figsize=(3.2 * (len(losses) + 1), 3.1),
                             squeeze=False)
    for ax, (key, label) in zip(axes[0][:-1], losses, strict=True):
        xs, ys = zip(*[(r["iteration"], r[key]) for r in train if key in r], strict=True)
        ax.plot(xs, ys)
        ax.set_title(label, fontsize=9)
        iteration_axis(ax)
        ax.grid(alpha=0.3)
    ax_acc = axes[0][-1]
    evals = [(r["iteration"], r[metric]) for r in history.get("eval", []) if metric in r]
    if evals:
        xs, ys = zip(*evals, strict=True)
        ax_acc.plot(xs, ys, marker="o", ms=3, label="student")
    if teacher_score is not None:
        ax_acc.axhline(teacher_score, ls="--", color="gray", label="teacher")
    iteration_axis(ax_acc)
    ax_acc.set_title(f"{metric} on the real test split", fontsize=9)
    ax_acc.set_ylim(0, 1.02)
    ax_acc.grid(alpha=0.3)
    ax_acc.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    legible(fig)
    return done(fig)


def seed_curves_figure(curves: dict, *, upper: float | None = None,
                       lower: float | None = None, teacher_score: float | None = None,
                       name: str = "DDAD", metric: str = "student_acc",
                       title: str | None = None) -> Figure:
    """A method's score over training for every seed (thin), their mean (thick), and two
    horizontal bounds on the same axes: `upper` (distillation on real training images: a
    bound that uses data, not a method) and `lower` (a generator frozen at its
    initialisation). `curves` is {seed: [(iteration, score), ...]}."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for seed, curve in curves.items():
        xs, ys = zip(*curve, strict=True)
        ax.plot(xs, ys, lw=0.8, alpha=0.6, label=f"{name}, seed {seed}")
    lengths = {len(c) for c in curves.values()}
    if len(curves) > 1 and len(lengths) == 1:
        xs = [i for i, _ in next(iter(curves.values()))]
        mean = [sum(c[k][1] for c in curves.values()) / len(curves) for k in range(len(xs))]
        ax.plot(xs, mean, lw=2.2, color="black", label=f"{name}, mean of {len(curves)} seeds")
    if upper is not None:
        ax.axhline(upper, ls="--", color="tab:green",
                   label=f"upper bound: KD on real training images (uses data) {upper:.3f}")
    if lower is not None:
        ax.axhline(lower, ls=":", color="tab:red",
                   label=f"lower bound: generator frozen at init {lower:.3f}")
    if teacher_score is not None:
        ax.axhline(teacher_score, ls="--", color="gray", lw=0.8, label="teacher")
    iteration_axis(ax)
    ax.set_ylabel(f"{metric} (real test split)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or f"{name} over seeds, between its bounds")
    legible(fig)
    return done(fig)


def compare_curves(histories: dict, *, metric: str = "student_acc",
                   teacher_score: float | None = None, title: str | None = None) -> Figure:
    """The student's score over training for several runs (e.g. BN-only, DFAD, DDAD)."""
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.3))
    for name, history in histories.items():
        evals = [(r["iteration"], r[metric]) for r in history.get("eval", []) if metric in r]
        if evals:
            xs, ys = zip(*evals, strict=True)
            ax_acc.plot(xs, ys, marker="o", ms=3, label=name)
        train = [(r["iteration"], r["loss_S"]) for r in history.get("train", [])]
        if train:
            xs, ys = zip(*train, strict=True)
            ax_loss.plot(xs, ys, label=name)
    if teacher_score is not None:
        ax_acc.axhline(teacher_score, ls="--", color="gray", label="teacher")
    ax_acc.set_title(f"{metric} (real test split)")
    ax_acc.set_ylim(0, 1.02)
    ax_loss.set_title("student loss L_S")
    for ax in (ax_acc, ax_loss):
        iteration_axis(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    legible(fig)
    return done(fig)


def reference_figure(references: dict, *, live: dict | None = None,
                     teacher_score: float | None = None, metric: str = "student_acc",
                     title: str | None = None) -> Figure:
    """Converged reference runs against a live run: for each reference (a label and the
    `per_seed` curves of its docs/results curves.json, {seed: {iteration, test}}) every seed
    thin and the mean over seeds thick, in one colour; each live run ({label: history}) dashed
    in the colour of the reference with the same label, marked "your run". A lesson concludes
    from the references; the live run shows where a short run of the same method stands."""
    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    colours = {}
    for i, (label, per_seed) in enumerate(references.items()):
        colour = colours[label] = f"C{i}"
        curves = [(c["iteration"], c["test"]) for c in per_seed.values()]
        for xs, ys in curves:
            ax.plot(xs, ys, lw=0.7, alpha=0.45, color=colour)
        if len({tuple(xs) for xs, _ in curves}) == 1:  # the same evaluation points
            xs = curves[0][0]
            mean = [sum(ys[j] for _, ys in curves) / len(curves) for j in range(len(xs))]
            ax.plot(xs, mean, lw=2.2, color=colour,
                    label=f"{label}: reference, {len(curves)} seeds (thin) and mean")
    for i, (label, history) in enumerate((live or {}).items()):
        evals = [(r["iteration"], r[metric]) for r in history.get("eval", []) if metric in r]
        if evals:
            xs, ys = zip(*evals, strict=True)
            ax.plot(xs, ys, ls="--", marker="o", ms=3, lw=1.4,
                    color=colours.get(label, f"C{len(references) + i}"),
                    label=f"{label}: your run")
    if teacher_score is not None:
        ax.axhline(teacher_score, ls=":", color="gray", label="teacher (your run's)")
    iteration_axis(ax)
    ax.set_ylabel(f"{metric} on the real test split")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or "reference runs (docs/results) and your run")
    legible(fig)
    return done(fig)
