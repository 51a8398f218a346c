"""`shapes`: the embedded default dataset, drawn procedurally (no download).

Ten classes of shapes and textures at 32x32 RGB: five solid shapes (circle, square, triangle,
diamond, cross), two outlines (ring, frame) and three textures (horizontal stripes, vertical
stripes, checkerboard). Each image varies the foreground and background colour, a background
gradient, position, scale, a small rotation and pixel noise. A linear classifier on raw pixels
stays well under 60% (tests/test_data.py measures it) while a small convnet passes 95%, so
there is real knowledge in the teacher to distil.

Images are rendered in batches from coordinate grids: for each image, local coordinates
(x, y) = R(theta) ((u, v) - c) / s, and each class is a mask defined on them. The split seeds
are fixed, so every machine draws the same dataset.
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

from . import DatasetInfo, register

CLASS_NAMES = ("circle", "square", "triangle", "diamond", "cross",
               "ring", "frame", "h_stripes", "v_stripes", "checker")
IMAGE_SIZE = 32
SPLIT_SIZES = {"train": 20000, "test": 4000}
SPLIT_SEEDS = {"train": 1234, "test": 5678}

INFO = DatasetInfo(
    name="shapes", task="classification", num_classes=10, image_size=IMAGE_SIZE, channels=3,
    mean=(0.5, 0.5, 0.5), std=(0.3, 0.3, 0.3), splits=("train", "test"), embedded=True,
    class_names=CLASS_NAMES,
)


def _class_masks(x: torch.Tensor, y: torch.Tensor, freq: torch.Tensor, phase: torch.Tensor):
    """Masks (10, B, H, W) in local coordinates x, y (B, H, W): one per class."""
    r = torch.sqrt(x**2 + y**2)
    box = torch.maximum(x.abs(), y.abs())
    patch = box < 0.95
    return torch.stack([
        r < 0.9,                                                        # circle
        box < 0.75,                                                     # square
        (y < 0.75) & (x.abs() < (y + 0.9) * 0.55),                      # triangle (apex up)
        (x.abs() + y.abs()) < 0.95,                                     # diamond
        ((x.abs() < 0.28) | (y.abs() < 0.28)) & (box < 0.9),            # cross
        (r < 0.9) & (r > 0.55),                                         # ring
        (box < 0.85) & (box > 0.55),                                    # frame
        patch & (torch.sin(freq * y + phase) > 0),                      # horizontal stripes
        patch & (torch.sin(freq * x + phase) > 0),                      # vertical stripes
        patch & (torch.sin(freq * x + phase) * torch.sin(freq * y + phase) > 0),  # checker
    ])


def render_shapes(labels: torch.Tensor, generator: torch.Generator,
                  size: int = IMAGE_SIZE) -> torch.Tensor:
    """Draw one image per label; returns float images in [0, 1] of shape (B, 3, size, size)."""
    b = labels.numel()

    def uniform(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(b, *shape, generator=generator)

    # Pose: centre, scale, small rotation.
    centre = uniform(-0.35, 0.35, 2)
    scale = uniform(0.45, 0.8)
    theta = uniform(-0.35, 0.35)  # about +-20 degrees
    # Textures: frequency and phase of the stripes.
    freq = uniform(2.5, 5.0) * math.pi / 2
    phase = uniform(0, 2 * math.pi)
    # Colours with enough contrast between foreground and background.
    bg = torch.rand(b, 3, generator=generator)
    fg = torch.rand(b, 3, generator=generator)
    low_contrast = (fg - bg).abs().mean(1) < 0.3
    fg[low_contrast] = 1 - bg[low_contrast]
    gradient = uniform(-0.25, 0.25, 3, 2)  # per-channel gradient across (u, v)

    axis = torch.linspace(-1, 1, size)
    v, u = torch.meshgrid(axis, axis, indexing="ij")  # v down, u right
    du = (u - centre[:, 0, None, None]) / scale[:, None, None]
    dv = (v - centre[:, 1, None, None]) / scale[:, None, None]
    cos, sin = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    x, y = cos * du + sin * dv, -sin * du + cos * dv

    masks = _class_masks(x, y, freq[:, None, None], phase[:, None, None])
    mask = masks[labels, torch.arange(b)].float().unsqueeze(1)  # (B, 1, H, W)

    background = (bg[:, :, None, None]
                  + gradient[:, :, 0, None, None] * u + gradient[:, :, 1, None, None] * v)
    image = background * (1 - mask) + fg[:, :, None, None] * mask
    image = image + 0.06 * torch.randn(b, 3, size, size, generator=generator)
    return image.clamp(0, 1)


def make_shapes(n: int, seed: int, size: int = IMAGE_SIZE, chunk: int = 4096):
    """`n` balanced, shuffled images (uint8, (n, 3, size, size)) and labels, drawn from `seed`."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(CLASS_NAMES)
    labels = labels[torch.randperm(n, generator=generator)]
    images = torch.empty(n, 3, size, size, dtype=torch.uint8)
    for start in range(0, n, chunk):
        batch = render_shapes(labels[start:start + chunk], generator, size)
        images[start:start + chunk] = (batch * 255).round().to(torch.uint8)
    return images, labels


# A process draws each split once (the train split takes seconds of CPU; the teacher, the
# validation split and every run read it); the uint8 tensors are shared and never written.
_DRAWN: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor]] = {}


class ShapesDataset(Dataset):
    """The `shapes` split held in memory as uint8; items are normalised (image, label)."""

    def __init__(self, split: str = "train", *, size: int | None = None):
        n = size if size is not None else SPLIT_SIZES[split]
        if (split, n) not in _DRAWN:
            _DRAWN[split, n] = make_shapes(n, SPLIT_SEEDS[split])
        self.images, self.labels = _DRAWN[split, n]
        self.classes = CLASS_NAMES
        self._mean = torch.tensor(INFO.mean).view(3, 1, 1)
        self._std = torch.tensor(INFO.std).view(3, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i].float().div_(255)
        return (image - self._mean) / self._std, int(self.labels[i])

    def tensors(self):
        """The whole split as normalised tensors, for fast in-memory loops."""
        images = self.images.float().div_(255)
        return (images - self._mean) / self._std, self.labels


@register(INFO)
def load_shapes(split, root=None, *, size: int | None = None):
    return ShapesDataset(split, size=size)
