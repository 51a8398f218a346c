"""ipywidgets browsers: step through what a run recorded, iteration by iteration.

Every browser is a `Browser`: an iteration slider, the picture of the chosen iteration and a
caption. The picture is a PNG in an `ipywidgets.Image` and the caption text in an
`ipywidgets.HTML`, so the widget state holds what the user sees (a test can read it back).
Each browser draws with its static twin, a function of the family returning a closed figure,
which `figure()` returns for headless runs (papermill, nbval), where a widget's picture lives
only in widget state. Each also has an animation twin, `animation()` (animation.py): every
step's `figure()` played as HTML with a JavaScript player, which survives export. The browsers:

    SnapshotBrowser / snapshot_browser   engine snapshots (`distiller.snapshots`, a run's
                                         snapshots.pt) with a class filter and T's and S's
                                         predictions; twin `snapshot_figure`
    FrameBrowser / frame_browser         the frames of an inversion; twin `image_grid`
                                         (one frame), `frames_figure` (one image over frames)
    MaskBrowser / mask_browser           snapshots of a segmentation run; twin `mask_figure`
    ToyBrowser / toy_browser             notebook 01's 2-D game; twin `toy_step_figure`

This is the one module of viz that needs ipywidgets (the `notebooks` extra): `viz/__init__`
imports it only when one of its names is asked for, so the CLI, the reports and every figure
work on a machine with torch and matplotlib alone.
"""

from __future__ import annotations

import html
import io
import struct
from collections import Counter
from pathlib import Path

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..files import load_torch
from .animation import DPI, FRAME_FORMAT, MAX_FRAMES, browser_animation
from .images import _name, frames_figure, image_grid, select, snapshot_figure
from .segmentation_figures import mask_figure
from .toy2d_figures import toy_step_figure


def figure_png(fig: Figure, *, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """The (width, height) in pixels of a PNG, read from its header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def load_snapshots(snapshots) -> list[dict]:
    """A list of snapshots, or the path of a run's snapshots.pt (or of its run folder)."""
    if isinstance(snapshots, (str, Path)):
        path = Path(snapshots)
        if path.is_dir():
            path = path / "snapshots.pt"
        snapshots = load_torch(path, what="snapshots file", hint="run the distillation first")
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("no snapshots to browse: train with snapshot_every > 0")
    return snapshots


class Browser(widgets.VBox):
    """An iteration slider (and any `controls`), the picture of `figure()` and the caption of
    `describe()`; subclasses say what those are. The slider starts at the last iteration."""

    def __init__(self, iterations: list, *, controls: tuple = ()):
        self.step = widgets.SelectionSlider(
            options=[(str(it), k) for k, it in enumerate(iterations)],
            value=len(iterations) - 1, description="iteration", continuous_update=False)
        # Never scaled by the page either: a picture wider than the cell scrolls, not shrinks.
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="none"))
        self.caption = widgets.HTML()
        for control in (self.step, *controls):
            control.observe(self._update, names="value")
        # A VBox stretches its children to the cell's width; the picture keeps its own size.
        super().__init__([widgets.HBox([self.step, *controls]), self.image, self.caption],
                         layout=widgets.Layout(align_items="flex-start", overflow="auto"))
        self._update()

    def figure(self) -> Figure:
        """The static twin of what the browser shows now."""
        raise NotImplementedError

    def describe(self) -> str:
        """The HTML under the picture."""
        raise NotImplementedError

    def animation(self, *, max_frames: int = MAX_FRAMES, dpi: int = DPI, fps: float = 2.0,
                  frame_format: str = FRAME_FORMAT):
        """The animation twin: every step's `figure()` (at most `max_frames`, evenly spaced)
        played as a self-contained HTML animation (`IPython.display.HTML`) that survives
        export, where the slider does not."""
        return browser_animation(self, max_frames=max_frames, dpi=dpi, fps=fps,
                                 frame_format=frame_format)

    def _update(self, change=None):
        png = figure_png(self.figure())
        width, height = png_size(png)
        self.image.value = png
        self.image.width, self.image.height = str(width), str(height)  # shown 1:1, not scaled
        self.caption.value = self.describe()


ALL = -1  # the class filter's "all classes" (a Dropdown's None would mean "nothing chosen")


class SnapshotBrowser(Browser):
    """Slider over snapshots, class filter, image grid with T and S predictions."""

    def __init__(self, snapshots, *, class_names=None, ncols: int = 8, max_images: int = 32):
        self.snapshots = load_snapshots(snapshots)
        self.class_names = class_names
        self.ncols, self.max_images = ncols, max_images
        num_classes = len(class_names) if class_names else 1 + max(
            int(s["teacher_pred"].max()) for s in self.snapshots)
        self.class_filter = widgets.Dropdown(
            options=[("all", ALL)] + [(_name(c, class_names), c) for c in range(num_classes)],
            value=ALL, description="T says")
        super().__init__([s["iteration"] for s in self.snapshots],
                         controls=(self.class_filter,))

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
        return snapshot_figure(self.snapshot, class_names=self.class_names,
                               class_filter=self.chosen_class, ncols=self.ncols,
                               max_images=self.max_images)

    def describe(self) -> str:
        pairs = self.predictions()
        agree = sum(t == s for t, s in pairs)
        counts = Counter(pairs)  # one entry per (T, S) pair, most frequent first
        items = ", ".join(f"T {html.escape(t)} / S {html.escape(s)}: {n}"
                          for (t, s), n in counts.most_common(4))
        more = f", {len(counts) - 4} more pairs" if len(counts) > 4 else ""
        return (f"<b>iteration {self.snapshot['iteration']}</b>: {len(pairs)} images, S agrees "
                f"with T on {agree}. <small>{items}{more}</small>")


def snapshot_browser(snapshots, *, class_names=None, **kw) -> SnapshotBrowser:
    """The browser over `snapshots` (a list, a snapshots.pt path or a run folder)."""
    return SnapshotBrowser(snapshots, class_names=class_names, **kw)


class FrameBrowser(Browser):
    """Slider over the frames of an inversion: the whole batch at one iteration."""

    def __init__(self, frames: list, iterations: list, *, ncols: int = 8, max_images: int = 32):
        if not frames:
            raise ValueError("no frames to browse")
        self.frames, self.iterations = frames, list(iterations)
        self.ncols, self.max_images = ncols, max_images
        super().__init__(self.iterations)

    def figure(self) -> Figure:
        k = self.step.value
        return image_grid(self.frames[k][:self.max_images], ncols=self.ncols,
                          title=f"iteration {self.iterations[k]}")

    def describe(self) -> str:
        return f"<b>iteration {self.iterations[self.step.value]}</b>"


def frame_browser(frames: list, iterations: list, **kw) -> FrameBrowser:
    """The browser over an inversion's frames (static twin: `frames_figure`)."""
    return FrameBrowser(frames, iterations, **kw)


class MaskBrowser(Browser):
    """Slider over the snapshots of a segmentation run: G(z), T's and S's masks."""

    def __init__(self, snapshots, info, *, n: int = 8):
        self.snapshots = load_snapshots(snapshots)
        self.info, self.n = info, n
        super().__init__([s["iteration"] for s in self.snapshots])

    @property
    def snapshot(self) -> dict:
        return self.snapshots[self.step.value]

    def figure(self) -> Figure:
        return mask_figure(self.snapshot, self.info, n=self.n)

    def describe(self) -> str:
        s = self.snapshot
        t, p = s["teacher_pred"][:self.n], s["student_pred"][:self.n]
        agree = float((t == p).float().mean())
        return (f"<b>iteration {s['iteration']}</b>: S agrees with T on {agree:.0%} of the "
                f"pixels of these {len(t)} images")


def mask_browser(snapshots, info, **kw) -> MaskBrowser:
    """The browser over a segmentation run's snapshots (a list, a snapshots.pt path or a run
    folder); static twin: `mask_figure`."""
    return MaskBrowser(snapshots, info, **kw)


class ToyBrowser(Browser):
    """An iteration slider over the frames; the picture is `toy_step_figure` of that frame."""

    def __init__(self, results: dict, data: dict):
        self.results, self.data = results, data
        first = next(iter(results.values()))
        super().__init__([f["iteration"] for f in first["frames"]])

    def figure(self) -> Figure:
        return toy_step_figure(self.results, self.data, self.step.value)

    def describe(self) -> str:
        k = self.step.value
        parts = []
        for name, result in self.results.items():
            f = result["frames"][k]
            parts.append(f"{html.escape(name)}: S {f['student_acc']:.1%}, L_BN "
                         f"{f['loss_bn']:.3g}, D {f['loss_adv']:.3g}")
        iteration = next(iter(self.results.values()))["frames"][k]["iteration"]
        return f"<b>iteration {iteration}</b>: " + "; ".join(parts)


def toy_browser(results: dict, data: dict) -> ToyBrowser:
    """The stepping widget over the three methods' frames (static twin: toy_step_figure)."""
    return ToyBrowser(results, data)


__all__ = ["Browser", "FrameBrowser", "MaskBrowser", "SnapshotBrowser", "ToyBrowser",
           "figure_png", "frame_browser", "frames_figure", "load_snapshots", "mask_browser",
           "png_size", "snapshot_browser", "toy_browser"]
