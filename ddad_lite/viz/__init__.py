"""Pictures of runs: image grids, curves, BN-statistic plots and widget browsers.

viz reads what the engine and the experiments produce (snapshots, histories, BN hooks,
metrics); nothing upstream imports it. Every widget has a static twin returning a matplotlib
Figure, because a headless run (papermill, nbval) keeps a widget's picture only in widget
state.

  images.py   grids of images, with T's and S's predictions
  curves.py   loss and accuracy curves, ablation comparisons
  bn.py       per-layer BN mean/variance match and R_l bars
  widgets.py  ipywidgets browsers over snapshots and inversion frames
  replay.py   forgetting curves with and without pseudo replay, VAE samples, memory
  comparison.py  the method comparison: final, mean and best accuracy, time, forgetting
  segmentation.py  images beside T's and S's masks, mIoU curves, a mask browser
"""

from .bn import bn_layer_bars, bn_layers_over_time, bn_match_figure, layer_statistics
from .curves import compare_curves, history_figure, loss_curve
from .images import dataset_grid, frames_figure, image_grid, snapshot_figure
from .widgets import FrameBrowser, SnapshotBrowser, frame_browser, snapshot_browser

__all__ = [
    "FrameBrowser", "SnapshotBrowser", "bn_layer_bars", "bn_layers_over_time",
    "bn_match_figure", "compare_curves", "dataset_grid", "frame_browser", "frames_figure",
    "history_figure", "image_grid", "layer_statistics", "loss_curve", "snapshot_browser",
    "snapshot_figure",
]
