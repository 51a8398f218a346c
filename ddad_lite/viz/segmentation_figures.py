"""Figures of segmentation runs: coloured masks, T's and S's masks beside the images.

Both figures are grids of `images.image_grid` (a row each of images and of masks, a colour
legend of the classes); the browser over a run's snapshots is `widgets.MaskBrowser`:

    mask_figure(snapshot, info)               G(z) | T's masks | S's masks of one snapshot
    mask_browser(snapshots, info)             the same with an iteration slider (widgets.py)
    ground_truth_figure(model, dataset, info) real images | labels | a model's masks
    history_figure(history, metric="student_miou")   the student's mIoU over training (curves.py)
    comparison_table(figures, dataset)        our figures beside DFAD's table (markdown)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ..data import denormalize
from ..tables import Column, markdown_table
from .images import image_grid

# Anchor results from docs/reference.md (DFAD paper), mIoU.
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


def class_legend(info) -> dict:
    """{class name: colour} for a legend of `colorize`'s colours."""
    names = info.class_names or [str(c) for c in range(info.num_classes)]
    return dict(zip(names, palette(info.num_classes)[:info.num_classes], strict=True))


def mask_figure(snapshot: dict, info, *, n: int = 8) -> Figure:
    """One engine snapshot of a segmentation run: the generated images, T's masks and S's
    masks in three rows, each S mask captioned with the share of pixels where S agrees."""
    n = min(n, len(snapshot["images"]))
    t, s = snapshot["teacher_pred"][:n], snapshot["student_pred"][:n]
    images = list(snapshot["images"][:n])
    images += [colorize(m, info.num_classes) for m in t]
    images += [colorize(m, info.num_classes) for m in s]
    captions = [""] * (2 * n) + [f"agree {float((a == b).float().mean()):.0%}"
                                 for a, b in zip(t, s, strict=True)]
    return image_grid(images, captions=captions, row_labels=("x = G(z)", "T(x)", "S(x)"),
                      legend=class_legend(info), ncols=n, cell_inches=1.4,
                      title=f"iteration {snapshot['iteration']}: generated images with the "
                            "teacher's and the student's masks")


@torch.no_grad()
def ground_truth_figure(model, dataset, info, *, n: int = 6, device="cpu") -> Figure:
    """Real test images, their labels and `model`'s masks (the first `n` items)."""
    n = min(n, len(dataset))
    images, masks = zip(*(dataset[i] for i in range(n)), strict=True)
    x = torch.stack(images).to(device)
    was_training = model.training
    model.eval()
    pred = model(x).argmax(1).cpu()
    model.train(was_training)
    shown = list(denormalize(x.cpu(), info))
    shown += [colorize(m, info.num_classes, info.ignore_index) for m in masks]
    shown += [colorize(m, info.num_classes) for m in pred]
    return image_grid(shown, row_labels=("image", "label", "prediction"),
                      legend=class_legend(info), ncols=n, cell_inches=2.0)


def comparison_table(figures: dict, dataset: str) -> str:
    """A markdown table: this run's teacher and student mIoU (final, mean, best chosen on
    validation) beside DFAD's published ones, which are each a best on test (published)."""
    rows = [[f"this run: {dataset}, {figures.get('method', '')} ({figures.get('profile', '')})",
             figures.get("teacher_miou"), figures.get("student_miou"),
             figures.get("mean_student_miou"), figures.get("best_student_miou"), None]]
    for name, ref in DFAD_TABLE.items():
        for label, key in (("DFAD", "dfad"), ("DAFL", "dafl"), ("KD with real data",
                                                                "kd_real_data")):
            rows.append([f"DFAD paper: {name}, {label}", ref["teacher"], None, None, None,
                         ref[key]])
    miou = dict(digits=3)
    return markdown_table([Column("setting"), Column("teacher mIoU", **miou),
                           Column("student final", **miou), Column("student mean", **miou),
                           Column("student best on validation*", **miou),
                           Column("best on test (published)", **miou)], rows,
                          footnote="*the test mIoU of the evaluation chosen on the validation "
                                   "split. Published numbers are the maximum over evaluations "
                                   "on the test split itself (optimistic).")
