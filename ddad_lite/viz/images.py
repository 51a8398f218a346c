"""Grids of images, each captioned with the teacher's (T) and student's (S) predictions.

Figures are closed in pyplot before they are returned, so a notebook shows each exactly once
(when it is the cell's value or passed to `display`).

Images come as uint8 tensors (N, C, H, W), as `Distiller.snapshot()` stores them, or as
floats in [0, 1]. A caption reads `T: circle / S: square`; a red caption marks an image on
which S disagrees with T (the images the student-as-discriminator pushes G towards).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure


def to_hwc(image: torch.Tensor):
    """(C, H, W) uint8 or float [0, 1] -> (H, W, C) float numpy in [0, 1] for imshow."""
    image = image.detach().cpu()
    if image.dtype == torch.uint8:
        image = image.float() / 255
    image = image.clamp(0, 1)
    if image.shape[0] == 1:
        return image[0].numpy()
    return image.permute(1, 2, 0).numpy()


def _name(i: int, class_names) -> str:
    return class_names[i] if class_names and 0 <= i < len(class_names) else str(i)


def image_grid(images: torch.Tensor, *, teacher_pred=None, student_pred=None, labels=None,
               class_names=None, ncols: int = 8, title: str | None = None,
               cell_inches: float = 1.3) -> Figure:
    """A grid of images; captions with the true label, T's and S's predictions if given."""
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    captions = any(p is not None for p in (teacher_pred, student_pred, labels))
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(ncols * cell_inches,
                                      nrows * (cell_inches + (0.35 if captions else 0))))
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(to_hwc(images[k]), cmap="gray" if images[k].shape[0] == 1 else None)
        lines, color = [], "black"
        if labels is not None:
            lines.append(_name(int(labels[k]), class_names))
        if teacher_pred is not None:
            lines.append("T: " + _name(int(teacher_pred[k]), class_names))
        if student_pred is not None:
            lines.append("S: " + _name(int(student_pred[k]), class_names))
            if teacher_pred is not None and int(student_pred[k]) != int(teacher_pred[k]):
                color = "tab:red"
        if lines:
            ax.set_title("\n".join(lines), fontsize=7, color=color)
    if n == 0:
        axes.flat[0].text(0.5, 0.5, "no images", ha="center", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return done(fig)


def done(fig: Figure) -> Figure:
    """Detach a finished figure from pyplot: shown once, when the notebook displays it."""
    plt.close(fig)
    return fig


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
    agree = (snapshot["teacher_pred"] == snapshot["student_pred"]).float().mean()
    shown = "all classes" if class_filter is None else f"T says {_name(class_filter, class_names)}"
    title = (f"iteration {snapshot['iteration']}: {len(idx)} images ({shown}); "
             f"S agrees with T on {float(agree):.0%}")
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
    fig = image_grid(images, ncols=ncols or len(picks))
    for ax, k in zip(fig.axes, picks, strict=False):
        ax.set_title(f"iteration {iterations[k]}", fontsize=7)
    return fig


def dataset_grid(dataset, *, class_names=None, per_class: int = 4, num_classes: int | None = None,
                 info=None) -> Figure:
    """`per_class` examples of every class of a (normalised) classification dataset."""
    from ..data import denormalize

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
