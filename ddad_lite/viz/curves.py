"""Curves of a run (losses, accuracy) and comparisons of runs (ablations).

A history is the engine's `Distiller.history`: {"train": [{iteration, loss_S, loss_G,
loss_bn, loss_adv, ...}], "eval": [{iteration, student_acc}], "bn_layers": [...]}. Accuracies
are fractions; the teacher's accuracy, when given, is drawn as a dashed line.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return done(fig)


def history_figure(history: dict, *, metric: str = "student_acc",
                   teacher_score: float | None = None, title: str | None = None) -> Figure:
    """Two panels: the losses of training, and the student's score on the real test split."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.3))
    train = history.get("train", [])
    for key, label in LOSS_LABELS.items():
        points = [(r["iteration"], r[key]) for r in train if key in r]
        if points:
            xs, ys = zip(*points, strict=True)
            ax_loss.plot(xs, ys, label=label)
    ax_loss.set_xlabel("iteration")
    ax_loss.set_title("losses")
    ax_loss.grid(alpha=0.3)
    if train:
        ax_loss.legend(fontsize=7)
    evals = [(r["iteration"], r[metric]) for r in history.get("eval", []) if metric in r]
    if evals:
        xs, ys = zip(*evals, strict=True)
        ax_acc.plot(xs, ys, marker="o", ms=3, label="student")
    if teacher_score is not None:
        ax_acc.axhline(teacher_score, ls="--", color="gray", label="teacher")
    ax_acc.set_xlabel("iteration")
    ax_acc.set_title(f"{metric} on the real test split")
    ax_acc.set_ylim(0, 1.02)
    ax_acc.grid(alpha=0.3)
    ax_acc.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
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
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return done(fig)
