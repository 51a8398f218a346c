"""The animation twin of a browser: its slider played as a self-contained HTML animation.

A browser's slider works only in a live kernel, and its static twin (`figure()`) shows one
step. The animation twin shows every step and survives export (nbconvert HTML, a notebook
viewer, papermill's output): matplotlib's `FuncAnimation(...).to_jshtml()` writes the frames
as base64 images into one HTML page with a JavaScript player (play, pause, step, speed).

Frame k is the picture the browser's `figure()` draws at step k, rendered to PNG at `dpi`
(what the widget shows) and shown pixel for pixel on one animation figure:

    steps  = evenly spaced over the slider, at most `max_frames`, first and last included
    frame  = PNG(browser.figure() at step k),  padded with white to the largest frame,
             under a strip naming the step ("iteration 120")

The slider is moved without redrawing the widget and is put back where it was. Size: frames
are JPEG (`frame_format`); with the defaults (20 frames, dpi 50) a grid of 32 images of 32x32
uniform noise, the worst case for compression, takes about 2 MB, generated images less.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

import matplotlib
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

MAX_FRAMES = 20
DPI = 50
FRAME_FORMAT = "jpeg"  # half the bytes of PNG on a grid of noise; captions stay legible


def frame_steps(n_steps: int, *, max_frames: int = MAX_FRAMES) -> list[int]:
    """At most `max_frames` step indices, evenly spaced over 0 .. n_steps - 1, both ends kept."""
    if n_steps < 1 or max_frames < 1:
        raise ValueError(f"need a step and a frame at least (n_steps={n_steps}, "
                         f"max_frames={max_frames})")
    if n_steps <= max_frames:
        return list(range(n_steps))
    return sorted({int(round(k)) for k in np.linspace(0, n_steps - 1, max_frames)})


def rasterise(fig: Figure, *, dpi: int = DPI) -> np.ndarray:
    """A figure as an (H, W, 3) float array in [0, 1]: its PNG at `dpi`, read back."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    buffer.seek(0)
    pixels = matplotlib.image.imread(buffer, format="png")
    return pixels[..., :3]


def pad_to(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Frames of different sizes (e.g. a class filter keeps fewer images) padded with white at
    the bottom and right to the largest."""
    height = max(f.shape[0] for f in frames)
    width = max(f.shape[1] for f in frames)
    out = []
    for f in frames:
        canvas = np.ones((height, width, 3), dtype=f.dtype)
        canvas[:f.shape[0], :f.shape[1]] = f
        out.append(canvas)
    return out


@contextmanager
def quietly_stepping(browser):
    """Move `browser.step` without redrawing the widget; put it back afterwards."""
    start = browser.step.value
    browser.step.unobserve(browser._update, names="value")
    try:
        yield
    finally:
        browser.step.value = start
        browser.step.observe(browser._update, names="value")


def browser_frames(browser, *, max_frames: int = MAX_FRAMES, dpi: int = DPI):
    """(slider labels, frames): `browser.figure()` rasterised at each chosen step."""
    options = browser.step.options
    labels, frames = [], []
    with quietly_stepping(browser):
        for k in frame_steps(len(options), max_frames=max_frames):
            label, value = options[k]
            browser.step.value = value
            frames.append(rasterise(browser.figure(), dpi=dpi))
            labels.append(label)
    return labels, pad_to(frames)


LABEL_INCHES = 0.3  # the strip above the frames naming the slider's step


def frames_to_html(frames: list[np.ndarray], labels: list[str] | None = None, *,
                   dpi: int = DPI, fps: float = 2.0, frame_format: str = FRAME_FORMAT) -> str:
    """The jshtml of an animation showing `frames` (H, W, 3) pixel for pixel, looping, each
    under its label (e.g. "iteration 120") when `labels` are given."""
    height, width = frames[0].shape[:2]
    strip = LABEL_INCHES if labels else 0.0
    fig = Figure(figsize=(width / dpi, height / dpi + strip), dpi=dpi, facecolor="white")
    picture = 1 - strip / (height / dpi + strip)
    ax = fig.add_axes((0, 0, 1, picture))
    ax.set_axis_off()
    shown = ax.imshow(frames[0], interpolation="nearest")
    title = fig.text(0.01, (1 + picture) / 2, "", va="center", fontsize=10)

    def draw(k):
        shown.set_data(frames[k])
        if labels:
            title.set_text(labels[k])
        return (shown, title)

    animation = FuncAnimation(fig, draw, frames=len(frames), interval=1000 / fps, blit=False)
    with matplotlib.rc_context({"animation.frame_format": frame_format}):
        return offline_jshtml(animation.to_jshtml(fps=fps, default_mode="loop"))


# matplotlib's player draws its buttons with Font Awesome icons fetched from a CDN: offline (a
# saved page, a site opened from disk, a sandbox) the fetch fails, a console error, and the
# buttons are blank. The same buttons as plain characters need nothing.
CDN_STYLESHEET = re.compile(r"<link[^>]*href=\"https?://[^\"]*font-awesome[^\"]*\"[^>]*>\s*")
ICONS = {"fa fa-minus": "\u2212", "fa fa-fast-backward": "\u23ee", "fa fa-step-backward": "\u25c1",
         "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "\u23f8", "fa fa-play": "\u25b6",
         "fa fa-step-forward": "\u25b7", "fa fa-fast-forward": "\u23ed", "fa fa-plus": "+"}


def offline_jshtml(text: str) -> str:
    """matplotlib's `to_jshtml` output with nothing to fetch: no CDN stylesheet, the buttons'
    icons as characters."""
    text = CDN_STYLESHEET.sub("", text)
    for icon, character in ICONS.items():
        text = text.replace(f'<i class="{icon}"></i>', character)
    return text


def browser_animation(browser, *, max_frames: int = MAX_FRAMES, dpi: int = DPI,
                      fps: float = 2.0, frame_format: str = FRAME_FORMAT):
    """The animation twin of `browser` as `IPython.display.HTML` (the cell's value shows it)."""
    from IPython.display import HTML  # optional extra: IPython (not on a torch-only machine)

    labels, frames = browser_frames(browser, max_frames=max_frames, dpi=dpi)
    labels = [f"{browser.step.description} {label}" for label in labels]
    return HTML(frames_to_html(frames, labels, dpi=dpi, fps=fps, frame_format=frame_format))


__all__ = ["browser_animation", "browser_frames", "frame_steps", "frames_to_html",
           "offline_jshtml"]
