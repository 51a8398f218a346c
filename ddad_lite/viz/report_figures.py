"""The figures of a run's report (reports/ assembles them into report.html and report.png).

Each reads what a run wrote (history.json, snapshots.pt, metrics.json) and draws it small:
a report is written at the end of every run, so its figures must cost well under a second.

  training_curves_figure   every logged loss (L_S, L_G and each term of L_G) on its own axis,
                           then the student's score on the test and validation splits
  snapshots_over_training  G(fixed z) at up to `max_rows` snapshot iterations, a row each
  agreement_figure         how often S predicts T's class on G's images, T's class entropy
  report_summary_figure    one picture of a run (report.png): score, L_S, agreement, last images
  compare_runs_figure      several runs' scores and L_S on shared axes (`ddad-lite report A B`)
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from .axes import iteration_axis
from .images import done, to_hwc

NOT_LOSSES = ("iteration", "lr_student")


def loss_keys(history: dict) -> list[str]:
    """The logged numeric series of training, L_S first, then L_G, then L_G's terms."""
    keys = []
    for record in history.get("train", []):
        keys += [k for k, v in record.items() if k not in NOT_LOSSES and k not in keys
                 and isinstance(v, (int, float))]
    order = {"loss_S": 0, "loss_G": 1}
    return sorted(keys, key=lambda k: order.get(k, 2))


def _series(records: list[dict], key: str) -> tuple[list, list]:
    pairs = [(r["iteration"], r[key]) for r in records if r.get(key) is not None]
    return ([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else ([], [])


def _score_axis(ax, history: dict, metric: str, teacher_score=None, label: str = "") -> None:
    evals = history.get("eval", [])
    for key, style, name in ((metric, "-o", "test"), ("val_" + metric, "--", "validation")):
        xs, ys = _series(evals, key)
        if xs:
            ax.plot(xs, ys, style, ms=3, label=f"{label}{name}".strip())
    if teacher_score is not None:
        ax.axhline(teacher_score, ls=":", color="gray", label="teacher")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{metric} (real data)", fontsize=9)
    iteration_axis(ax, fontsize=8)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def training_curves_figure(history: dict, *, metric: str = "student_acc",
                           teacher_score: float | None = None, ncols: int = 5) -> Figure:
    """Every logged loss on its own axis (their scales differ by orders of magnitude), then
    the student's score on the test and validation splits."""
    keys = loss_keys(history)
    n = len(keys) + 1
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.9 * ncols, 2.3 * nrows), squeeze=False,
                             dpi=72)
    flat = list(axes.flat)
    for ax, key in zip(flat, keys, strict=False):
        xs, ys = _series(history["train"], key)
        ax.plot(xs, ys, lw=1)
        ax.set_title(key, fontsize=9)
        iteration_axis(ax, fontsize=8)
        ax.grid(alpha=0.3)
    _score_axis(flat[len(keys)], history, metric, teacher_score)
    for ax in flat[n:]:
        ax.axis("off")
    fig.subplots_adjust(left=0.05, right=0.98, top=0.9, bottom=0.16 / nrows, wspace=0.3,
                        hspace=0.6)  # fixed margins: tight_layout would draw the figure twice
    return done(fig)


def _rows(snapshots: list[dict], max_rows: int) -> list[dict]:
    """Up to `max_rows` snapshots evenly spread over training, first and last kept."""
    if len(snapshots) <= max_rows:
        return list(snapshots)
    picks = {round(i * (len(snapshots) - 1) / (max_rows - 1)) for i in range(max_rows)}
    return [snapshots[i] for i in sorted(picks)]


def snapshots_over_training(snapshots: list[dict], *, per_row: int = 8,
                            max_rows: int = 6) -> Figure:
    """G(fixed z): the first `per_row` images of up to `max_rows` snapshots, one row each,
    labelled by iteration (the same z in every row, so a column follows one image). Drawn as
    one picture (a mosaic), not a grid of axes: a report is made at the end of every run."""
    rows = _rows(snapshots, max_rows)
    per_row = min(per_row, min(len(s["images"]) for s in rows))
    picture = _mosaic(torch.cat([s["images"][:per_row] for s in rows]), ncols=per_row)
    height = picture.shape[0] / picture.shape[1] * 0.9 * per_row
    fig, ax = plt.subplots(figsize=(0.9 * per_row + 0.9, height + 0.3), dpi=72)
    ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
    step = picture.shape[0] / len(rows)
    ax.set_yticks([step * (k + 0.5) for k in range(len(rows))],
                  [f"it {s['iteration']}" for s in rows], fontsize=8)
    ax.set_xticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    fig.subplots_adjust(left=0.9 / (0.9 * per_row + 0.9), right=0.99, top=0.98, bottom=0.02)
    return done(fig)


def agreement(snapshot: dict) -> float:
    """The fraction of G's images (of pixels, for masks) on which S predicts T's class."""
    t, s = snapshot["teacher_pred"], snapshot["student_pred"]
    return float((t == s).float().mean()) if t.numel() else float("nan")


def agreement_figure(snapshots: list[dict]) -> Figure:
    """Over training, on G(fixed z): S's agreement with T, and T's class entropy (1: classes
    as evenly spread as the batch allows; near 0: the generator collapsed on one class)."""
    fig, ax = plt.subplots(figsize=(5.2, 2.8), dpi=72)
    xs = [s["iteration"] for s in snapshots]
    ax.plot(xs, [agreement(s) for s in snapshots], "-o", ms=3, label="S agrees with T")
    ax.plot(xs, [s.get("teacher_class_entropy", float("nan")) for s in snapshots], "--",
            label="T's class entropy")
    ax.set_ylim(0, 1.02)
    iteration_axis(ax, fontsize=8)
    ax.set_title("teacher and student on G's images", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.16)
    return done(fig)


def _mosaic(images: torch.Tensor, ncols: int = 8):
    """(N, C, H, W) uint8 -> one (H', W', C) picture, one pixel of white between images."""
    n, c, h, w = images.shape
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    out = torch.full((c, nrows * (h + 1), ncols * (w + 1)), 255, dtype=torch.uint8)
    for k in range(n):
        r, col = divmod(k, ncols)
        out[:, r * (h + 1): r * (h + 1) + h, col * (w + 1): col * (w + 1) + w] = images[k]
    return to_hwc(out)


def report_summary_figure(history: dict, snapshots: list[dict], *, metric: str = "student_acc",
                          teacher_score: float | None = None, title: str = "") -> Figure:
    """report.png: the score, L_S and L_G, agreement over training and G's last images."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 3), dpi=72)
    _score_axis(axes[0], history, metric, teacher_score)
    for key in ("loss_S", "loss_G"):
        xs, ys = _series(history.get("train", []), key)
        if xs:
            axes[1].plot(xs, ys, lw=1, label=key)
    axes[1].set_title("losses", fontsize=9)
    axes[1].grid(alpha=0.3)
    if axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(fontsize=7)
    if snapshots:
        xs = [s["iteration"] for s in snapshots]
        axes[2].plot(xs, [agreement(s) for s in snapshots], "-o", ms=3)
        picture = _mosaic(snapshots[-1]["images"][:32])
        axes[3].imshow(picture, cmap="gray" if picture.ndim == 2 else None,
                       interpolation="nearest")
        axes[3].set_title(f"G(z) at iteration {snapshots[-1]['iteration']}", fontsize=9)
    axes[2].set_ylim(0, 1.02)
    axes[2].set_title("S agrees with T on G(z)", fontsize=9)
    axes[2].grid(alpha=0.3)
    axes[3].axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.04, right=0.99, top=0.82, bottom=0.14, wspace=0.25)
    return done(fig)


def compare_runs_figure(histories: dict, *, metric: str = "student_acc") -> Figure:
    """Several runs ({name: history}): their test scores and L_S on shared axes."""
    fig, (ax_score, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.2), dpi=72)
    for name, history in histories.items():
        xs, ys = _series(history.get("eval", []), metric)
        if xs:
            ax_score.plot(xs, ys, "-o", ms=3, label=name)
        xs, ys = _series(history.get("train", []), "loss_S")
        if xs:
            ax_loss.plot(xs, ys, lw=1, label=name)
    ax_score.set_ylim(0, 1.02)
    ax_score.set_title(f"{metric} (real test split)", fontsize=9)
    ax_loss.set_title("L_S", fontsize=9)
    for ax in (ax_score, ax_loss):
        iteration_axis(ax, fontsize=8)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.15, wspace=0.2)
    return done(fig)
