"""Pictures of runs: one family of figures and browsers over what the engine records.

viz reads what the engine and the experiments produce (snapshots, histories, BN hooks,
metrics); nothing upstream imports it. Its conventions:

- One image grid, `image_grid`: every picture made of images (snapshots, inversion frames,
  dataset examples, segmentation masks, replayed samples) is laid out by it.
- Every function that makes a figure returns a matplotlib Figure that is already closed in
  pyplot (`images.done`): a notebook shows it exactly once, as the cell's value or through
  `display(fig)`, `fig.savefig` still works, and no figure is left open behind it.
- Every widget has a static twin, the figure function it draws with (its `figure()`),
  because a headless run (papermill, nbval) keeps a widget's picture only in widget state,
  and an animation twin (its `animation()`): every step's `figure()` as an HTML animation,
  which an exported notebook keeps where it loses the slider.

The family, by file:

  images.py                image_grid, snapshot_figure, frames_figure, dataset_grid (and
                           `done`)
  curves.py                loss_curve, history_figure (each loss on its own axis, and the
                           student's accuracy or mIoU), compare_curves (several runs, e.g. an
                           ablation), seed_curves_figure (every seed, their mean, the bounds),
                           reference_figure (converged references over seeds, a live run
                           dashed over them)
  bn.py                    bn_match_figure, bn_layer_bars, bn_layers_over_time (per-layer R_l)
  segmentation_figures.py  mask_figure (G(z) with T's and S's masks), ground_truth_figure,
                           and the markdown comparison_table beside DFAD's numbers
  replay_figures.py        accuracy_curves (seeds and their mean), replay_samples_figure,
                           replay_memory_figure (a run's replayed samples come from
                           runs/replay_samples.py: viz never rebuilds a method)
  soft_targets.py          soft_targets_figure (softmax of one teacher logit vector at several
                           tau)
  comparison.py            method_comparison_figure (final, mean, best accuracy, forgetting,
                           time), generator_control_figure (T's effective classes and logit
                           norm on G(z))
  toy2d_figures.py         the 2-D toy (notebook 01): toy_step_figure, toy_frames_figure,
                           toy_curves_figure and toy_animation (to_jshtml)
  report_figures.py        the figures of a run's report, which reports/ lays out
  widgets.py               snapshot_browser, frame_browser, mask_browser, toy_browser
                           (ipywidgets, imported on first use), and load_snapshots (a run's
                           snapshots.pt)
  animation.py             browser_animation, every browser's `animation()`: its steps'
                           figures played as self-contained HTML (a JavaScript player) that
                           survives export
  axes.py                  iteration_axis (whole-number ticks), log_axis (plain-number
                           labels), legible (a wide figure's text kept at size once a notebook
                           shrinks it)
"""

from .animation import browser_animation
from .bn import bn_layer_bars, bn_layers_over_time, bn_match_figure, layer_statistics
from .comparison import generator_control_figure, method_comparison_figure
from .curves import compare_curves, history_figure, loss_curve, reference_figure, seed_curves_figure
from .images import dataset_grid, frames_figure, image_grid, snapshot_figure
from .replay_figures import accuracy_curves, replay_memory_figure, replay_samples_figure
from .segmentation_figures import colorize, ground_truth_figure, mask_figure
from .soft_targets import soft_targets, soft_targets_figure
from .toy2d_figures import toy_animation, toy_curves_figure, toy_frames_figure, toy_step_figure

# The browsers need ipywidgets (the `notebooks` extra): imported on first use, so that the CLI,
# the reports and every figure above work with torch and matplotlib alone (PEP 562).
WIDGETS = ("FrameBrowser", "MaskBrowser", "SnapshotBrowser", "ToyBrowser", "frame_browser",
           "load_snapshots", "mask_browser", "snapshot_browser", "toy_browser")


def __getattr__(name: str):
    if name in WIDGETS:
        from . import widgets  # optional extra: ipywidgets (PEP 562, on first use)

        return getattr(widgets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "FrameBrowser", "MaskBrowser", "SnapshotBrowser", "accuracy_curves", "bn_layer_bars",
    "browser_animation",
    "bn_layers_over_time", "bn_match_figure", "colorize", "compare_curves", "dataset_grid",
    "frame_browser", "frames_figure", "generator_control_figure", "ground_truth_figure",
    "history_figure", "image_grid",
    "layer_statistics", "load_snapshots", "loss_curve", "mask_browser", "mask_figure",
    "method_comparison_figure", "replay_memory_figure", "replay_samples_figure",
    "reference_figure", "seed_curves_figure", "snapshot_browser", "snapshot_figure",
    "soft_targets", "soft_targets_figure",
    "ToyBrowser", "toy_animation", "toy_browser", "toy_curves_figure", "toy_frames_figure",
    "toy_step_figure",
]
