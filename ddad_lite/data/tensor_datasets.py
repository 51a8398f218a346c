"""Datasets held as uint8 tensors, normalised on access, with augmentation done on tensors.

Real datasets are decoded once into uint8 tensors (see `images.py`); these classes serve them.
Augmentation (only for training a teacher; evaluation never augments) is the DFAD protocol's,
done with torch ops on the uint8 tensor, so there is no PIL round trip per item:

- classification: random crop of the original size from the image zero-padded by `padding`
  pixels on each side, then a horizontal flip with probability 1/2;
- segmentation: a random `crop` x `crop` window and a horizontal flip, applied jointly to the
  image and its mask.

Randomness comes from torch's global generator, which `DataLoader` seeds per worker.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset


def random_crop_flip(image: torch.Tensor, padding: int) -> torch.Tensor:
    """Crop (C, H, W) back to H x W from the image zero-padded by `padding`; flip half the time."""
    _, h, w = image.shape
    if padding > 0:
        image = F.pad(image, (padding, padding, padding, padding))
        top, left = torch.randint(0, 2 * padding + 1, (2,)).tolist()
        image = image[:, top:top + h, left:left + w]
    if torch.rand(()) < 0.5:
        image = image.flip(-1)
    return image


class ImageTensorDataset(Dataset):
    """Classification items `(normalised float image (C, H, W), int label)` from uint8 tensors."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, mean, std,
                 augment: bool = False, padding: int = 4, classes=()):
        self.images, self.labels = images, labels
        self.classes = tuple(classes)
        self.augment, self.padding = augment, padding
        self._mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        self._std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i]
        if self.augment:
            image = random_crop_flip(image, self.padding)
        return (image.float().div_(255) - self._mean) / self._std, int(self.labels[i])

    def tensors(self):
        """The whole split as normalised tensors (no augmentation), for fast in-memory loops."""
        images = self.images.float().div_(255)
        return (images - self._mean) / self._std, self.labels.long()


class SegmentationTensorDataset(Dataset):
    """Segmentation items `(normalised float image (3, H, W), long mask (H, W))`.

    `lut` (256 entries) maps the stored label values to class ids, void to `ignore_index`.
    With `augment`, a random `crop` window and a flip are taken jointly; without it, a `crop`
    (if given) is taken from the centre.
    """

    def __init__(self, images: torch.Tensor, masks: torch.Tensor, *, lut: torch.Tensor, mean,
                 std, augment: bool = False, crop: int | None = None, classes=()):
        self.images, self.masks, self.lut = images, masks, lut.long()
        self.augment, self.crop = augment, crop
        self.classes = tuple(classes)
        self._mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        self._std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        image, mask = self.images[i], self.masks[i]
        if self.crop is not None:
            h, w = mask.shape
            c = self.crop
            if self.augment:
                top = int(torch.randint(0, h - c + 1, ()))
                left = int(torch.randint(0, w - c + 1, ()))
            else:
                top, left = (h - c) // 2, (w - c) // 2
            image, mask = image[:, top:top + c, left:left + c], mask[top:top + c, left:left + c]
        if self.augment and torch.rand(()) < 0.5:
            image, mask = image.flip(-1), mask.flip(-1)
        image = (image.float().div_(255) - self._mean) / self._std
        return image, self.lut[mask.long()]
