"""Classification splits held on the run's device as uint8, batches cut and augmented there.

A GPU idles when every training image is cropped and flipped one at a time in Python and then
copied over: a ResNet step on a batch of 512 takes milliseconds, the per-image work tens of
them. An in-memory split (CIFAR, MNIST, shapes, an image folder: anything holding uint8
`images` (N, C, H, W) and `labels`) is therefore moved once to the device, as uint8 (CIFAR-10's
45,000 training images are 138 MB), and each batch is made there:

    idx  = the next B entries of a permutation of the split (one per epoch, `order` generator)
    x    = augment(images[idx])                     on the device, `augment` generator
    x    = (x / 255 - mean) / std                   normalised as the item datasets do

`Augment`, all of it drawn per image from a seeded generator:

    crop    pad by p pixels (zeros, DFAD's torchvision RandomCrop; or reflect), then a random
            H x W window: offsets (dy, dx) uniform in {0, ..., 2p}
    flip    horizontal, with probability 1/2
    cutout  a c x c square (clipped at the border) set to 0 after normalisation, centre
            uniform over the image (DeVries & Taylor, 2017); c = 0: off

Without augmentation the batches equal those of a `DataLoader(shuffle=True, generator=g)` over
the same split normalised as a whole, number for number: the permutation is drawn as the
loader's sampler draws it, after the seed the loader takes from `g` for its workers
(`epoch_order`). A teacher trained on `shapes` is the same, weight for weight, either way.

Evaluation reads the split in order, in batches of 500 (`DeviceLoader`, what
`metrics.eval_loader` returns for such a split), without any augmentation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import Subset

PADDING_MODES = ("zeros", "reflect")


def uint8_tensors(dataset) -> tuple | None:
    """(images uint8 (N, C, H, W), labels, mean (C, 1, 1), std (C, 1, 1), augment, padding)
    of an in-memory classification split (a `Subset` of one too, its indices applied); None
    for anything else (segmentation, files read per item)."""
    indices = None
    while isinstance(dataset, Subset):
        inner = torch.as_tensor(list(dataset.indices), dtype=torch.long)
        indices = inner if indices is None else inner[indices]
        dataset = dataset.dataset
    images, labels = getattr(dataset, "images", None), getattr(dataset, "labels", None)
    mean, std = getattr(dataset, "_mean", None), getattr(dataset, "_std", None)
    if not (isinstance(images, torch.Tensor) and images.dtype == torch.uint8
            and images.dim() == 4 and isinstance(labels, torch.Tensor) and labels.dim() == 1
            and isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor)):
        return None
    if indices is not None:
        images, labels = images[indices], labels[indices]
    return (images, labels, mean, std, bool(getattr(dataset, "augment", False)),
            int(getattr(dataset, "padding", 4)))


class Augment:
    """Random crop (pad `padding`, zeros or reflect), horizontal flip and optional cutout of a
    uint8 batch on its device, drawn from `generator` (module docstring)."""

    def __init__(self, *, padding: int = 4, padding_mode: str = "zeros", flip: bool = True,
                 cutout: int = 0):
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, not {padding_mode!r}")
        self.padding, self.padding_mode, self.flip, self.cutout = (padding, padding_mode, flip,
                                                                    cutout)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, _, h, w = x.shape
        device = x.device
        if self.padding:
            p = self.padding
            if self.padding_mode == "reflect":  # reflect needs a float tensor; exact for uint8
                padded = F.pad(x.float(), (p, p, p, p), mode="reflect").to(x.dtype)
            else:
                padded = F.pad(x, (p, p, p, p))
            offsets = torch.randint(0, 2 * p + 1, (n, 2), device=device, generator=generator)
            rows = offsets[:, :1] + torch.arange(h, device=device)  # (n, h)
            cols = offsets[:, 1:] + torch.arange(w, device=device)  # (n, w)
            batch = torch.arange(n, device=device)[:, None, None]
            x = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
            x = x.permute(0, 3, 1, 2)  # (n, C, h, w), a strided view
        if self.flip:
            flips = torch.rand(n, device=device, generator=generator) < 0.5
            x = torch.where(flips[:, None, None, None], x.flip(3), x)
        return x.contiguous()

    def cut(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Cutout on a normalised float batch (a no-op when `cutout` is 0)."""
        if not self.cutout:
            return x
        n, _, h, w = x.shape
        centre = torch.rand(n, 2, device=x.device, generator=generator)
        top = (centre[:, :1] * h).long() - self.cutout // 2  # (n, 1)
        left = (centre[:, 1:] * w).long() - self.cutout // 2
        ys, xs = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
        rows = (ys >= top) & (ys < top + self.cutout)  # (n, h)
        cols = (xs >= left) & (xs < left + self.cutout)  # (n, w)
        inside = rows[:, :, None] & cols[:, None, :]
        return x.masked_fill(inside[:, None], 0.0)


def epoch_order(n: int, generator: torch.Generator) -> torch.Tensor:
    """One epoch's permutation of n items, drawn as `DataLoader(shuffle=True,
    generator=generator)` draws it: its workers' base seed, the sampler's permutation, and
    the sampler's second permutation for the remainder of its samples (none here, but drawn)."""
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(n, generator=generator)
    torch.randperm(n, generator=generator)
    return order


class DeviceSplit:
    """A classification split on `device` as uint8, its batches normalised there."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, mean, std, device):
        device = torch.device(device)
        self.images = images.to(device)
        self.labels = labels.to(device, dtype=torch.long)
        self.mean = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1).to(device)
        self.std = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1).to(device)
        self.device = device

    @classmethod
    def of(cls, dataset, device) -> DeviceSplit | None:
        """The split of an in-memory dataset (`uint8_tensors`) on `device`, else None."""
        found = uint8_tensors(dataset)
        if found is None:
            return None
        images, labels, mean, std, _, _ = found
        return cls(images, labels, mean=mean, std=std, device=device)

    def __len__(self) -> int:
        return len(self.labels)

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images to normalised float32, as the item datasets compute it."""
        return (images.float().div_(255) - self.mean) / self.std

    def batch(self, index: torch.Tensor, *, augment: Augment | None = None,
              generator: torch.Generator | None = None):
        """(x, y) of the items `index` (on the device), augmented if `augment` is given."""
        images = self.images[index]
        if augment is not None:
            images = augment(images, generator)
        x = self.normalise(images)
        if augment is not None:
            x = augment.cut(x, generator)
        return x, self.labels[index]

    def epoch(self, batch_size: int, *, order: torch.Generator, drop_last: bool = True,
              augment: Augment | None = None, generator: torch.Generator | None = None):
        """The batches of one epoch in a fresh permutation (`epoch_order` from `order`)."""
        index = epoch_order(len(self), order).to(self.device)
        stop = len(index) - (len(index) % batch_size if drop_last else 0)
        for start in range(0, stop, batch_size):
            yield self.batch(index[start:start + batch_size], augment=augment,
                             generator=generator)


class DeviceLoader:
    """An evaluation loader over a `DeviceSplit`: the items in order, `batch_size` at a time,
    never augmented. Iterates like a DataLoader of (x, y) (already on the device); `dataset`
    is the split, so `len(loader.dataset)` is the number of items as for a DataLoader."""

    def __init__(self, split: DeviceSplit, *, batch_size: int = 500):
        self.dataset, self.batch_size = split, batch_size

    def __iter__(self):
        split = self.dataset
        for start in range(0, len(split), self.batch_size):
            end = min(start + self.batch_size, len(split))
            yield split.normalise(split.images[start:end]), split.labels[start:end]

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)
