"""ipywidgets browsers: step through generated images as a student would.

`SnapshotBrowser` walks the engine's snapshots (`distiller.snapshots` or a run's
`snapshots.pt`): a step slider picks the iteration, a class filter keeps the images T assigns
to one class, and every image is captioned with T's and S's predictions. `FrameBrowser` walks
the frames of an inversion (one batch of images across iterations).

The picture is a PNG in an `ipywidgets.Image` and the predictions are text in an
`ipywidgets.HTML`, so the widget state holds what the user sees (a test can read it back).
Each browser has a static twin in images.py (`snapshot_figure`, `frames_figure`) for
headless runs, where a widget's picture lives only in widget state.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import ipywidgets as widgets
from matplotlib.figure import Figure

from .images import _name, frames_figure, image_grid, select, snapshot_figure


def figure_png(fig: Figure, *, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def load_snapshots(snapshots) -> list[dict]:
    """A list of snapshots, or the path of a run's snapshots.pt (or of its run folder)."""
    if isinstance(snapshots, (str, Path)):
        from ..files import load_torch

        path = Path(snapshots)
        if path.is_dir():
            path = path / "snapshots.pt"
        snapshots = load_torch(path, what="snapshots file", hint="run the distillation first")
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("no snapshots to browse: train with snapshot_every > 0")
    return snapshots


ALL = -1  # the class filter's "all classes" (a Dropdown's None would mean "nothing chosen")


class SnapshotBrowser(widgets.VBox):
    """Slider over snapshots, class filter, image grid with T and S predictions."""

    def __init__(self, snapshots, *, class_names=None, ncols: int = 8, max_images: int = 32):
        self.snapshots = load_snapshots(snapshots)
        self.class_names = class_names
        self.ncols, self.max_images = ncols, max_images
        iterations = [s["iteration"] for s in self.snapshots]
        num_classes = len(class_names) if class_names else 1 + max(
            int(s["teacher_pred"].max()) for s in self.snapshots)
        self.step = widgets.SelectionSlider(
            options=[(str(it), k) for k, it in enumerate(iterations)], value=len(iterations) - 1,
            description="iteration", continuous_update=False)
        self.class_filter = widgets.Dropdown(
            options=[("all", ALL)] + [(_name(c, class_names), c) for c in range(num_classes)],
            value=ALL, description="T says")
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.step.observe(self._update, names="value")
        self.class_filter.observe(self._update, names="value")
        super().__init__([widgets.HBox([self.step, self.class_filter]), self.image,
                          self.caption])
        self._update()

    @property
    def snapshot(self) -> dict:
        return self.snapshots[self.step.value]

    @property
    def chosen_class(self) -> int | None:
        """The class the filter keeps, or None for all."""
        return None if self.class_filter.value == ALL else self.class_filter.value

    def predictions(self) -> list[tuple[str, str]]:
        """(T's class, S's class) of each image shown."""
        s = self.snapshot
        idx = select(s, self.chosen_class)[:self.max_images]
        return [(_name(int(s["teacher_pred"][i]), self.class_names),
                 _name(int(s["student_pred"][i]), self.class_names)) for i in idx]

    def figure(self) -> Figure:
        """The static twin of what the browser shows now."""
        return snapshot_figure(self.snapshot, class_names=self.class_names,
                               class_filter=self.chosen_class, ncols=self.ncols,
                               max_images=self.max_images)

    def _update(self, change=None):
        self.image.value = figure_png(self.figure())
        pairs = self.predictions()
        agree = sum(t == s for t, s in pairs)
        items = ", ".join(f"T {html.escape(t)} / S {html.escape(s)}" for t, s in pairs)
        self.caption.value = (f"<b>iteration {self.snapshot['iteration']}</b>: {len(pairs)} "
                              f"images, S agrees with T on {agree}. <small>{items}</small>")


def snapshot_browser(snapshots, *, class_names=None, **kw) -> SnapshotBrowser:
    """The browser over `snapshots` (a list, a snapshots.pt path or a run folder)."""
    return SnapshotBrowser(snapshots, class_names=class_names, **kw)


class FrameBrowser(widgets.VBox):
    """Slider over the frames of an inversion: the whole batch at one iteration."""

    def __init__(self, frames: list, iterations: list, *, ncols: int = 8, max_images: int = 32):
        if not frames:
            raise ValueError("no frames to browse")
        self.frames, self.iterations = frames, list(iterations)
        self.ncols, self.max_images = ncols, max_images
        self.step = widgets.SelectionSlider(
            options=[(str(it), k) for k, it in enumerate(self.iterations)],
            value=len(self.iterations) - 1, description="iteration", continuous_update=False)
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.step.observe(self._update, names="value")
        super().__init__([self.step, self.image, self.caption])
        self._update()

    def figure(self) -> Figure:
        """The static twin of what the browser shows now."""
        k = self.step.value
        return image_grid(self.frames[k][:self.max_images], ncols=self.ncols,
                          title=f"iteration {self.iterations[k]}")

    def _update(self, change=None):
        self.image.value = figure_png(self.figure())
        self.caption.value = f"<b>iteration {self.iterations[self.step.value]}</b>"


def frame_browser(frames: list, iterations: list, **kw) -> FrameBrowser:
    """The browser over an inversion's frames (static twin: `frames_figure`)."""
    return FrameBrowser(frames, iterations, **kw)


__all__ = ["FrameBrowser", "SnapshotBrowser", "figure_png", "frame_browser", "frames_figure",
           "load_snapshots", "snapshot_browser"]
