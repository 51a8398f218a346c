"""Figures of the 2-D toy (notebook 01): decision regions, generated points and real data.

A toy result is what `lessons.toy2d.distill_toy` returns, a plain dict (viz never imports
the lessons): {"method", "alpha", "beta", "box", "teacher_grid" (size, size), "frames":
[{"iteration", "points" (n, 2), "student_grid" (size, size), "student_acc", "loss_S",
"loss_G", "loss_bn", "loss_adv"}]}; a grid holds the class-1 probability on a regular grid
over [-box, box]^2 (row-major in y, then x). `data` is the toy's dict (its test points are
drawn).

One panel is one method at one frame: S's decision regions (blue: class 0, orange: class 1),
the region where S and T disagree (red hatching), T's decision boundary (black line), the real
test points (faint) and G's points for a fixed z (black dots; a point outside the box is
drawn on its edge). The family:

    toy_step_figure     the methods side by side at one frame (the browser's static twin)
    toy_frames_figure   a static grid: a row per method, a column per chosen frame
    toy_curves_figure   S's test accuracy, L_BN and D(S(x), T(x)) over the frames
    toy_animation       the same frames as a JavaScript animation (`to_jshtml`), which an
                        exported HTML steps through without a kernel
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .animation import offline_jshtml
from .axes import iteration_axis, legible, log_axis
from .images import done

REGIONS = ListedColormap(["#cfe2f3", "#fde3c8"])  # S says class 0 / class 1
CLASS_COLOURS = np.array(["#1f77b4", "#ff7f0e"])


def _frame_index(result: dict, k: int) -> int:
    return k % len(result["frames"])


def draw_panel(ax, result: dict, k: int, data: dict) -> None:
    """One method at frame k on `ax` (cleared first)."""
    ax.clear()
    frame = result["frames"][_frame_index(result, k)]
    box = result["box"]
    s_grid = np.asarray(frame["student_grid"]) > 0.5
    t_grid = np.asarray(result["teacher_grid"]) > 0.5
    extent = (-box, box, -box, box)
    ax.imshow(s_grid.astype(float), origin="lower", extent=extent, cmap=REGIONS, vmin=0, vmax=1,
              interpolation="nearest")
    axis = np.linspace(-box, box, s_grid.shape[0])
    ax.contourf(axis, axis, (s_grid != t_grid).astype(float), levels=[0.5, 1.5], colors="none",
                hatches=["////"])
    ax.contour(axis, axis, np.asarray(result["teacher_grid"]), levels=[0.5], colors="black",
               linewidths=1.2)
    x, y = np.asarray(data["test_x"]), np.asarray(data["test_y"])
    ax.scatter(x[:, 0], x[:, 1], s=3, c=CLASS_COLOURS[y], alpha=0.25, linewidths=0)
    points = np.clip(np.asarray(frame["points"].detach().cpu()), -box, box)
    ax.scatter(points[:, 0], points[:, 1], s=7, c="black", linewidths=0)
    ax.set_xlim(-box, box)
    ax.set_ylim(-box, box)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{result['method']} (alpha {result['alpha']:g}, beta {result['beta']:g})\n"
                 f"iteration {frame['iteration']}: S {frame['student_acc']:.0%} on test",
                 fontsize=9)


def toy_step_figure(results: dict, data: dict, k: int = -1) -> Figure:
    """The methods side by side at frame k (default: the last)."""
    fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.4), squeeze=False)
    for ax, result in zip(axes[0], results.values(), strict=True):
        draw_panel(ax, result, k, data)
    legible(fig)
    return done(fig)


def frame_choice(n_frames: int, columns: int) -> list[int]:
    """`columns` frame indices spread evenly from the first to the last."""
    return sorted({round(i * (n_frames - 1) / max(columns - 1, 1)) for i in range(columns)})


def toy_frames_figure(results: dict, data: dict, *, columns: int = 4) -> Figure:
    """A row per method, a column per frame (evenly spread over training)."""
    first = next(iter(results.values()))
    chosen = frame_choice(len(first["frames"]), columns)
    fig, axes = plt.subplots(len(results), len(chosen), squeeze=False,
                             figsize=(2.6 * len(chosen), 2.8 * len(results)))
    for row, result in zip(axes, results.values(), strict=True):
        for ax, k in zip(row, chosen, strict=True):
            draw_panel(ax, result, k, data)
    legible(fig)
    return done(fig)


def toy_curves_figure(results: dict, *, teacher_acc: float | None = None) -> Figure:
    """S's accuracy on the real test points, L_BN and D(S(x), T(x)) (as in L_G) over frames."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for name, result in results.items():
        its = [f["iteration"] for f in result["frames"]]
        axes[0].plot(its, [f["student_acc"] for f in result["frames"]], label=name)
        axes[1].plot(its, [f["loss_bn"] for f in result["frames"]], label=name)
        axes[2].plot(its, [f["loss_adv"] for f in result["frames"]], label=name)
    if teacher_acc is not None:
        axes[0].axhline(teacher_acc, color="black", linestyle="--", label="teacher")
    for ax, title in zip(axes, ("S's accuracy on the real test points", "L_BN(T, G(z))",
                                "D(S(x), T(x)) at G's step"), strict=True):
        ax.set_title(title, fontsize=10)
        iteration_axis(ax)
        ax.grid(alpha=0.3)
    log_axis(axes[1])
    log_axis(axes[2])
    axes[0].legend(fontsize=8)
    legible(fig)
    return done(fig)


def toy_animation(results: dict, data: dict, *, interval_ms: int = 400, dpi: int = 60):
    """The frames as `IPython.display.HTML` of a JavaScript animation (play, step, scrub),
    self-contained in the notebook's output: an exported HTML plays it without a kernel."""
    from IPython.display import HTML  # optional extra: IPython (not on a torch-only machine)

    n_frames = len(next(iter(results.values()))["frames"])
    fig, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results), 3.4), dpi=dpi,
                             squeeze=False)

    def draw(k):
        for ax, result in zip(axes[0], results.values(), strict=True):
            draw_panel(ax, result, k, data)
        fig.tight_layout()

    animation = FuncAnimation(fig, draw, frames=n_frames, interval=interval_ms)
    try:
        return HTML(offline_jshtml(animation.to_jshtml(default_mode="once")))
    finally:
        plt.close(fig)
