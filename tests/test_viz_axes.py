"""Axes that read well: whole iterations, plain numbers on log axes, legible wide figures."""

import matplotlib.pyplot as plt

from ddad_lite.viz import history_figure
from ddad_lite.viz.axes import CELL_WIDTH_INCHES, MIN_TICK_POINTS, iteration_axis, legible, log_axis
from ddad_lite.viz.toy2d_figures import toy_curves_figure


def tick_texts(axis, *, minor=False):
    ticks = axis.get_minor_ticks() if minor else axis.get_major_ticks()
    lo, hi = sorted(axis.get_view_interval())
    return [t.label1.get_text() for t in ticks
            if t.label1.get_visible() and lo <= t.get_loc() <= hi and t.label1.get_text()]


def test_a_short_run_has_whole_iteration_ticks():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2, 3], [0.3, 0.2, 0.1, 0.05])
    iteration_axis(ax)
    fig.canvas.draw()
    labels = tick_texts(ax.xaxis)
    assert labels and all(float(t.replace("\u2212", "-")).is_integer() for t in labels), labels
    plt.close(fig)


def test_a_log_axis_is_labelled_with_plain_numbers():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0.7, 1.5, 3.5])  # within one decade and a bit
    log_axis(ax)
    fig.canvas.draw()
    labels = tick_texts(ax.yaxis) + tick_texts(ax.yaxis, minor=True)
    assert labels and not any("10^" in t or "$" in t or "times" in t for t in labels), labels
    assert {"1", "2"} <= set(labels), labels
    ax.set_ylim(1e-4, 1e4)  # eight decades: no in-between labels crowd the axis
    fig.canvas.draw()
    assert tick_texts(ax.yaxis, minor=True) == []
    plt.close(fig)


def test_a_wide_figure_scales_its_text_to_read_at_size_in_a_cell():
    fig, axes = plt.subplots(1, 4, figsize=(2 * CELL_WIDTH_INCHES, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_title("t", fontsize=9)
    legible(fig)
    shown = CELL_WIDTH_INCHES / fig.get_figwidth()  # the notebook's scaling
    for ax in axes:
        assert ax.xaxis.get_major_ticks()[0].label1.get_fontsize() * shown >= MIN_TICK_POINTS
        assert ax.title.get_fontsize() * shown >= 9 - 1e-9
    plt.close(fig)


def test_the_packages_curves_use_them():
    history = {"train": [{"iteration": i, "loss_S": 1 / (i + 1), "loss_G": 1.0}
                         for i in range(4)],
               "eval": [{"iteration": i, "student_acc": 0.1 * i} for i in range(4)]}
    fig = history_figure(history)
    fig.canvas.draw()
    for ax in fig.get_axes():
        labels = tick_texts(ax.xaxis)
        assert all(float(t.replace("\u2212", "-")).is_integer() for t in labels), labels
    frames = [{"iteration": i, "student_acc": 0.5, "loss_bn": 0.5 + i, "loss_adv": 2.0 / (i + 1)}
              for i in range(3)]
    fig = toy_curves_figure({"ddad": {"frames": frames}})
    fig.canvas.draw()
    for ax in fig.get_axes()[1:]:
        assert ax.get_yscale() == "log"
        labels = tick_texts(ax.yaxis) + tick_texts(ax.yaxis, minor=True)
        assert labels and not any("$" in t for t in labels), labels


def test_titles_of_fixed_aspect_panels_stay_inside_the_figure():
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.4))
    for ax in axes:
        ax.imshow(np.zeros((10, 10)))
        ax.set_title("first line of the title\nsecond line", fontsize=9)
    legible(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        box = ax.title.get_window_extent(renderer)
        assert box.y1 <= fig.bbox.y1 + 0.5, (box.y1, fig.bbox.y1)
    plt.close(fig)
