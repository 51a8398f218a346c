"""`scenes`: the embedded segmentation default, drawn procedurally with per-pixel labels.

Each 32x32 RGB scene has a background split by a tilted horizon into **sky** (a vertical
colour gradient with faint horizontal bands) and **ground** (a darker, grainy texture), and
one to three objects drawn over it, later ones occluding earlier ones: **circle**,
**rectangle** (rotated), **triangle** and **stripes** (a rotated square patch of
alternating colour bands). Colours, sizes, positions, rotations, stripe frequencies and the
horizon vary per scene; pixel noise is added last. The label of a pixel is the class of the
topmost thing covering it, so every pixel has a label (`ignore_index` is None).

Objects differ by shape and texture, not by colour (colours are drawn independently of the
class), so a model has to look at geometry, as on real scenes.

Rendering is vectorised over the batch from coordinate grids (as `shapes.py`): a few thousand
scenes take about a second. The split seeds are fixed: every machine draws the same data.
32 pixels (objects 5 to 10 pixels across) keeps the teacher, the student and the generator
fast enough that a whole data-free distillation runs in minutes on one CPU core; at 64
pixels every step costs four times as much.
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

from . import DatasetInfo, register

CLASS_NAMES = ("sky", "ground", "circle", "rectangle", "triangle", "stripes")
SKY, GROUND = 0, 1
OBJECT_CLASSES = (2, 3, 4, 5)
IMAGE_SIZE = 32
MAX_OBJECTS = 3
SPLIT_SIZES = {"train": 4000, "test": 500}
SPLIT_SEEDS = {"train": 4321, "test": 8765}

INFO = DatasetInfo(
    name="scenes", task="segmentation", num_classes=len(CLASS_NAMES), image_size=IMAGE_SIZE,
    channels=3, mean=(0.5, 0.5, 0.5), std=(0.3, 0.3, 0.3), splits=("train", "test"),
    embedded=True, ignore_index=None, class_names=CLASS_NAMES,
)


def _object_masks(x: torch.Tensor, y: torch.Tensor, freq: torch.Tensor, phase: torch.Tensor):
    """Masks (4, B, H, W) of circle, rectangle, triangle and stripes in local coordinates."""
    box = torch.maximum(x.abs() / 1.0, y.abs() / 0.6)
    square = torch.maximum(x.abs(), y.abs()) < 0.8
    return torch.stack([
        x**2 + y**2 < 0.8,                                       # circle
        box < 1.0,                                               # rectangle (wide, 5:3)
        (y < 0.7) & (x.abs() < (y + 0.9) * 0.6),                 # triangle (apex up)
        square,                                                  # stripes (patch)
    ]), (torch.sin(freq * x + phase) > 0)                        # which stripe band


def render_scenes(n: int, generator: torch.Generator, size: int = IMAGE_SIZE):
    """`n` scenes: float images in [0, 1] (n, 3, size, size) and long labels (n, size, size)."""

    def uniform(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(n, *shape, generator=generator)

    axis = torch.linspace(-1, 1, size)
    v, u = torch.meshgrid(axis, axis, indexing="ij")  # v down, u right
    u, v = u.expand(n, size, size), v.expand(n, size, size)

    # Background: a tilted horizon splits sky (above) from ground (below).
    horizon = uniform(-0.5, 0.3)[:, None, None] + uniform(-0.3, 0.3)[:, None, None] * u
    ground = v > horizon
    labels = torch.where(ground, GROUND, SKY)
    sky_top = torch.stack([uniform(0.2, 0.6), uniform(0.4, 0.8), uniform(0.7, 1.0)], 1)
    sky_low = sky_top + uniform(-0.1, 0.3, 1)  # lighter toward the horizon
    t = ((v + 1) / 2)[:, None]
    sky = sky_top[..., None, None] * (1 - t) + sky_low[..., None, None] * t
    sky = sky + 0.04 * torch.sin(uniform(6, 14)[:, None, None, None] * v[:, None])
    ground_colour = torch.stack([uniform(0.25, 0.6), uniform(0.2, 0.55), uniform(0.05, 0.3)], 1)
    grain = 0.12 * torch.rand(n, 1, size, size, generator=generator)
    ground_img = ground_colour[..., None, None] * (0.8 + grain) + 0.1 * t
    image = torch.where(ground[:, None], ground_img, sky)

    # Objects, drawn in order so that later ones occlude earlier ones.
    count = torch.randint(1, MAX_OBJECTS + 1, (n,), generator=generator)
    for k in range(MAX_OBJECTS):
        present = count > k
        kind = torch.randint(0, len(OBJECT_CLASSES), (n,), generator=generator)
        centre = uniform(-0.6, 0.6, 2)
        scale = uniform(0.3, 0.6)
        theta = uniform(-math.pi / 4, math.pi / 4)
        freq = uniform(2.5, 4.5) * math.pi
        phase = uniform(0, 2 * math.pi)
        du = (u - centre[:, 0, None, None]) / scale[:, None, None]
        dv = (v - centre[:, 1, None, None]) / scale[:, None, None]
        cos, sin = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
        x, y = cos * du + sin * dv, -sin * du + cos * dv
        masks, band = _object_masks(x, y, freq[:, None, None], phase[:, None, None])
        mask = masks[kind, torch.arange(n)] & present[:, None, None]
        colour = torch.rand(n, 3, generator=generator)
        second = 1 - colour  # stripes alternate between a colour and its complement
        shade = 1 + 0.15 * y[:, None].clamp(-1, 1)  # soft shading top to bottom
        fill = colour[..., None, None] * shade
        is_stripes = (kind == 3)[:, None, None, None]
        fill = torch.where(is_stripes & ~band[:, None], second[..., None, None], fill)
        image = torch.where(mask[:, None], fill, image)
        labels = torch.where(mask, torch.tensor(OBJECT_CLASSES)[kind][:, None, None], labels)

    image = image + 0.04 * torch.randn(n, 3, size, size, generator=generator)
    return image.clamp(0, 1), labels


def make_scenes(n: int, seed: int, size: int = IMAGE_SIZE, chunk: int = 256):
    """`n` scenes from `seed`: uint8 images (n, 3, size, size) and uint8 masks (n, size, size).

    Drawn in small chunks, which keep the elementwise work in cache (about twice as fast)."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.empty(n, 3, size, size, dtype=torch.uint8)
    masks = torch.empty(n, size, size, dtype=torch.uint8)
    for start in range(0, n, chunk):
        batch, labels = render_scenes(min(chunk, n - start), generator, size)
        images[start:start + chunk] = (batch * 255).round().to(torch.uint8)
        masks[start:start + chunk] = labels.to(torch.uint8)
    return images, masks


class ScenesDataset(Dataset):
    """The `scenes` split in memory; items are (normalised image (3, H, W), long mask (H, W))."""

    def __init__(self, split: str = "train", *, size: int | None = None):
        n = size if size is not None else SPLIT_SIZES[split]
        self.images, self.masks = make_scenes(n, SPLIT_SEEDS[split])
        self.classes = CLASS_NAMES
        self._mean = torch.tensor(INFO.mean).view(3, 1, 1)
        self._std = torch.tensor(INFO.std).view(3, 1, 1)

    def __len__(self):
        return len(self.masks)

    def __getitem__(self, i):
        image = self.images[i].float().div_(255)
        return (image - self._mean) / self._std, self.masks[i].long()

    def tensors(self):
        """The whole split as normalised tensors and long masks, for fast in-memory loops."""
        images = self.images.float().div_(255)
        return (images - self._mean) / self._std, self.masks.long()


@register(INFO)
def load_scenes(split, root=None, *, size: int | None = None, train_transform=None):
    # `train_transform` is accepted for symmetry with real datasets; scenes need none.
    return ScenesDataset(split, size=size)
