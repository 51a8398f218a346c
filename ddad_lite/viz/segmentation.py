"""Figures for segmentation runs: coloured masks, T's and S's masks side by side, mIoU curves.

Every widget has a static twin (a matplotlib figure) so that a notebook executed headless
(papermill, nbval) still shows the picture:

    show_masks(snapshot, info)           images | T's masks | S's masks for one snapshot
    snapshot_browser(snapshots, info)    the same with a step slider (ipywidgets)
    plot_miou_curves(history, ...)       the student's mIoU over training, the teacher's line
    show_ground_truth(model, dataset)    real images | labels | a model's masks
    comparison_table(figures, dataset)   our figures beside DFAD's table (markdown)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..data import denormalize
from ..tables import Column, markdown_table

# Anchor results from REFERENCE.md (DFAD paper), mIoU.
DFAD_TABLE = {
    "camvid": {"teacher": 0.594, "kd_real_data": 0.535, "dafl": 0.010, "dfad": 0.535},
    "nyuv2": {"teacher": 0.517, "kd_real_data": 0.380, "dafl": 0.105, "dfad": 0.364},
}


def palette(num_classes: int) -> np.ndarray:
    """(num_classes + 1, 3) float colours; the last one (black) is for ignored pixels."""
    cmap = plt.get_cmap("tab10" if num_classes <= 10 else "tab20")
    colours = [cmap(i % cmap.N)[:3] for i in range(num_classes)]
    return np.array(colours + [(0.0, 0.0, 0.0)])


def colorize(mask, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """A mask (H, W) of class ids as an RGB image (H, W, 3); ignored pixels are black."""
    m = torch.as_tensor(mask).long().clone()
    m[(m < 0) | (m >= num_classes)] = num_classes
    if ignore_index is not None:
        m[torch.as_tensor(mask).long() == ignore_index] = num_classes
    return palette(num_classes)[m.numpy()]


def _legend(ax, info):
    colours = palette(info.num_classes)
    names = info.class_names or [str(c) for c in range(info.num_classes)]
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c]) for c in range(info.num_classes)]
    ax.legend(handles, names, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8,
              frameon=False)


def draw_masks(fig, snapshot: dict, info, *, n: int = 8):
    """Draw rows: generated images, T's masks, S's masks (and their agreement) into `fig`."""
    fig.clear()
    n = min(n, len(snapshot["images"]))
    axes = fig.subplots(3, n, squeeze=False)
    t, s = snapshot["teacher_pred"], snapshot["student_pred"]
    for i in range(n):
        axes[0, i].imshow(snapshot["images"][i].permute(1, 2, 0).numpy())
        axes[1, i].imshow(colorize(t[i], info.num_classes), interpolation="nearest")
        axes[2, i].imshow(colorize(s[i], info.num_classes), interpolation="nearest")
        agree = float((t[i] == s[i]).float().mean())
        axes[2, i].set_xlabel(f"agree {agree:.0%}", fontsize=8)
    for row, label in enumerate(("x = G(z)", "T(x)", "S(x)")):
        axes[row, 0].set_ylabel(label)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    _legend(axes[1, -1], info)
    fig.suptitle(f"iteration {snapshot['iteration']}: generated images with the teacher's "
                 "and the student's masks")
    return fig


def show_masks(snapshot: dict, info, *, n: int = 8):
    """The static figure of one snapshot: images | T's masks | S's masks."""
    fig = plt.figure(figsize=(1.4 * min(n, len(snapshot["images"])) + 1.5, 4.6))
    return draw_masks(fig, snapshot, info, n=n)


def snapshot_browser(snapshots: list[dict], info, *, n: int = 8):
    """A step slider over the snapshots of a run (ipywidgets); pair it with `show_masks`."""
    import ipywidgets as widgets

    out = widgets.Output()
    slider = widgets.IntSlider(value=len(snapshots) - 1, min=0, max=len(snapshots) - 1,
                               description="snapshot", continuous_update=False)
    label = widgets.Label()

    def draw(change=None):
        snap = snapshots[slider.value]
        label.value = f"iteration {snap['iteration']}"
        with out:
            out.clear_output(wait=True)
            fig = show_masks(snap, info, n=n)
            plt.show(fig)

    slider.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox([slider, label]), out])


def plot_miou_curves(history: dict, *, teacher_miou: float | None = None, ax=None,
                     label: str = "student S"):
    """The student's mIoU on the real test split over training, with T's mIoU as a line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    evals = history["eval"]
    ax.plot([e["iteration"] for e in evals], [e["student_miou"] for e in evals], marker="o",
            markersize=3, label=label)
    if teacher_miou is not None:
        ax.axhline(teacher_miou, color="k", linestyle="--", linewidth=1, label="teacher T")
    ax.set_xlabel("iteration (generator steps)")
    ax.set_ylabel("mIoU on the test split")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


@torch.no_grad()
def show_ground_truth(model, dataset, info, *, n: int = 6, device="cpu"):
    """Real test images, their labels and `model`'s masks (first `n` items)."""
    n = min(n, len(dataset))
    images, masks = zip(*(dataset[i] for i in range(n)), strict=True)
    x = torch.stack(images).to(device)
    was_training = model.training
    model.eval()
    pred = model(x).argmax(1).cpu()
    model.train(was_training)
    shown = denormalize(x.cpu(), info)
    fig, axes = plt.subplots(3, n, figsize=(2.0 * n + 1.5, 5.2), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(shown[i].permute(1, 2, 0).numpy())
        axes[1, i].imshow(colorize(masks[i], info.num_classes, info.ignore_index),
                          interpolation="nearest")
        axes[2, i].imshow(colorize(pred[i], info.num_classes), interpolation="nearest")
    for row, label in enumerate(("image", "label", "prediction")):
        axes[row, 0].set_ylabel(label)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    _legend(axes[1, -1], info)
    return fig


def comparison_table(figures: dict, dataset: str) -> str:
    """A markdown table: this run's teacher and student mIoU beside DFAD's published ones."""
    rows = [[f"this run: {dataset}, {figures.get('method', '')} ({figures.get('profile', '')})",
             figures.get("teacher_miou"), figures.get("student_miou"),
             figures.get("mean_student_miou"), figures.get("best_student_miou")]]
    for name, ref in DFAD_TABLE.items():
        for label, key in (("DFAD", "dfad"), ("DAFL", "dafl"), ("KD with real data",
                                                                "kd_real_data")):
            rows.append([f"DFAD paper: {name}, {label}", ref["teacher"], ref[key], None, None])
    miou = dict(digits=3)
    return markdown_table([Column("setting"), Column("teacher mIoU", **miou),
                           Column("student mIoU (final)", **miou), Column("mean", **miou),
                           Column("best", **miou)], rows)
