"""The image grid the whole family draws with, and the figures of classification runs.

`image_grid` is the one helper that lays images out: snapshots, inversion frames, dataset
examples, segmentation masks (segmentation.py) and replayed samples (replay.py) are all grids
of it, with a caption per image, a label per row, a title and a colour legend as they need.

Images come as uint8 tensors (N, C, H, W), as `Distiller.snapshot()` stores them, as floats in
[0, 1], or as (H, W, 3) RGB arrays (coloured masks). With predictions, a caption reads
`T: circle / S: square`; a red caption marks an image on which S disagrees with T (the images
the student-as-discriminator pushes G towards).

Every function of the family that makes a figure returns it through `done`: closed in pyplot,
so a notebook shows it exactly once, when it is the cell's value or passed to `display`, and
no figure stays open behind it.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ..data import denormalize

LEGEND_INCHES = 1.6  # the room on the right of a grid for its colour legend
ROW_LABEL_INCHES = 0.8  # and on the left for its row labels


def done(fig: Figure) -> Figure:
    """Detach a finished figure from pyplot: shown once, when the notebook displays it."""
    plt.close(fig)
    return fig


def to_hwc(image) -> np.ndarray:
    """(C, H, W) uint8 or float [0, 1] -> (H, W, C) (or (H, W) for one channel) floats in
    [0, 1] for imshow; an (H, W, 3) array (e.g. a coloured mask) is returned as it is."""
    if isinstance(image, np.ndarray):
        return image
    image = image.detach().cpu()
    if image.dtype == torch.uint8:
        image = image.float() / 255
    image = image.float().clamp(0, 1)
    if image.shape[0] == 1:
        return image[0].numpy()
    return image.permute(1, 2, 0).numpy()


def _name(i: int, class_names) -> str:
    return class_names[i] if class_names and 0 <= i < len(class_names) else str(i)


def prediction_captions(n: int, *, labels=None, teacher_pred=None, student_pred=None,
                        class_names=None) -> tuple[list[str], list[str]]:
    """Captions (true label, T's and S's predictions) and their colours, red where S and T
    disagree."""
    captions, colors = [], []
    for k in range(n):
        lines, color = [], "black"
        if labels is not None:
            lines.append(_name(int(labels[k]), class_names))
        if teacher_pred is not None:
            lines.append("T: " + _name(int(teacher_pred[k]), class_names))
        if student_pred is not None:
            lines.append("S: " + _name(int(student_pred[k]), class_names))
            if teacher_pred is not None and int(student_pred[k]) != int(teacher_pred[k]):
                color = "tab:red"
        captions.append("\n".join(lines))
        colors.append(color)
    return captions, colors


def image_grid(images, *, teacher_pred=None, student_pred=None, labels=None, class_names=None,
               captions=None, caption_colors=None, row_labels=None, legend: dict | None = None,
               ncols: int = 8, title: str | None = None, cell_inches: float = 1.3) -> Figure:
    """A grid of images, `ncols` to a row, returned closed.

    Captions: `captions` (one text per image, None or "" for none, coloured by
    `caption_colors`), else the true label and T's and S's predictions when given.
    `row_labels`: a text left of each row. `legend`: {name: colour} drawn on the right."""
    n = len(images)
    if captions is None and any(p is not None for p in (labels, teacher_pred, student_pred)):
        captions, caption_colors = prediction_captions(
            n, labels=labels, teacher_pred=teacher_pred, student_pred=student_pred,
            class_names=class_names)
    captioned = captions is not None and any(captions)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    width = (ncols * cell_inches + (LEGEND_INCHES if legend else 0)
             + (ROW_LABEL_INCHES if row_labels else 0))
    if n == 0 and title:  # nothing to draw: a short strip as wide as its title
        width = max(width, 0.075 * len(title) + 0.4)
    height = nrows * (cell_inches + (0.35 if captioned else 0)) + (0.35 if title else 0)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(width, height))
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        picture = to_hwc(images[k])
        ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
        if captioned and captions[k]:
            color = caption_colors[k] if caption_colors is not None else "black"
            ax.set_title(captions[k], fontsize=7, color=color)
    for row, label in enumerate(row_labels or []):
        if row < nrows:
            axes[row][0].text(-0.08, 0.5, label, transform=axes[row][0].transAxes, ha="right",
                              va="center", fontsize=9)
    if n == 0:
        axes.flat[0].text(0.5, 0.5, "no images", ha="center", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    left = ROW_LABEL_INCHES / width if row_labels else 0  # room for the row labels
    fig.tight_layout(rect=(left, 0, 1 - (LEGEND_INCHES / width if legend else 0), 1))
    if fig.subplotpars.wspace < 0.05:  # tight_layout may butt uncaptioned images together
        fig.subplots_adjust(wspace=0.05)
    if legend:
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in legend.values()]
        fig.legend(handles, list(legend), loc="center left", fontsize=8, frameon=False,
                   bbox_to_anchor=(1 - LEGEND_INCHES / width, 0.5))
    return done(fig)


def select(snapshot: dict, class_filter: int | None = None) -> torch.Tensor:
    """Indices of a snapshot's images that T assigns to `class_filter` (all when None)."""
    t = snapshot["teacher_pred"]
    if class_filter is None:
        return torch.arange(len(t))
    return torch.nonzero(t == class_filter).flatten()


def snapshot_figure(snapshot: dict, *, class_names=None, class_filter: int | None = None,
                    ncols: int = 8, max_images: int = 32) -> Figure:
    """One engine snapshot: G(fixed z) at an iteration, with T and S predictions."""
    idx = select(snapshot, class_filter)[:max_images]
    shown = "all classes" if class_filter is None else f"T says {_name(class_filter, class_names)}"
    title = f"iteration {snapshot['iteration']}: {len(idx)} images ({shown})"
    if len(idx):  # the agreement over the images shown, not the whole batch
        agree = (snapshot["teacher_pred"][idx] == snapshot["student_pred"][idx]).float().mean()
        title += f"; S agrees with T on {float(agree):.0%}"
    return image_grid(snapshot["images"][idx], teacher_pred=snapshot["teacher_pred"][idx],
                      student_pred=snapshot["student_pred"][idx], class_names=class_names,
                      ncols=ncols, title=title)


def frames_figure(frames: list, iterations: list, *, index: int = 0, max_frames: int = 6,
                  ncols: int | None = None) -> Figure:
    """Image `index` of a batch across iterations (e.g. an inversion): one column per frame."""
    if not frames:
        raise ValueError("no frames to show")
    if len(frames) <= max_frames:
        picks = list(range(len(frames)))
    else:  # evenly spaced, first and last included
        picks = sorted({round(k * (len(frames) - 1) / (max_frames - 1))
                        for k in range(max_frames)})
    images = torch.stack([frames[k][index] for k in picks])
    return image_grid(images, captions=[f"iteration {iterations[k]}" for k in picks],
                      ncols=ncols or len(picks))


def dataset_grid(dataset, *, class_names=None, per_class: int = 4, num_classes: int | None = None,
                 info=None) -> Figure:
    """`per_class` examples of every class of a (normalised) classification dataset."""
    num_classes = num_classes or (info.num_classes if info else len(class_names))
    picked: dict[int, list] = {c: [] for c in range(num_classes)}
    for i in range(len(dataset)):
        x, y = dataset[i]
        if len(picked[int(y)]) < per_class:
            picked[int(y)].append(x)
        if all(len(v) == per_class for v in picked.values()):
            break
    images, labels = [], []
    for c in range(num_classes):
        images += picked[c]
        labels += [c] * len(picked[c])
    x = torch.stack(images)
    if info is not None:
        x = denormalize(x, info)
    return image_grid(x, labels=labels, class_names=class_names, ncols=per_class * 2)
