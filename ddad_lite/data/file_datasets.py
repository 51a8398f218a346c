"""Datasets kept as image files plus a `files.json` list, decoded once per size into a cache.

Caltech101, CamVid, NYUv2 and image folders come as image files of varying sizes. Their
prepared folder keeps the files and a `files.json` that lists, per split, either
`[path, label]` pairs (classification) or `[image path, mask path]` pairs (segmentation),
paths relative to the folder. The first load at a given size decodes and resizes every file
of the split once, in parallel, into `cache_{split}_{size}.pt` (uint8, written atomically);
later loads memory-map it. `prepare` builds the default size's caches, which also proves that
every file decodes.

Sizes: classification images are resized to `size` x `size` (aspect not kept, as DFAD's
Caltech101 pipeline); segmentation pairs are resized so the shorter side is `size` (bilinear
for images, nearest for masks), which keeps whole frames at a fixed aspect per dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from PIL import Image

from ..errors import UserError
from ..files import save_json
from .image_files import decode_all, list_images, read_mask, read_rgb, shorter_side
from .storage import cached, require_prepared
from .tensor_datasets import ImageTensorDataset, SegmentationTensorDataset

FILES = "files.json"


def write_files(out: Path, lists: dict, **extra) -> dict:
    """Write `out/files.json` with the per-split lists and any extra facts; returns it."""
    doc = {**extra, **lists}
    save_json(out / FILES, doc)
    return doc


def read_files(folder: Path) -> dict:
    """`files.json`, checked to be an object whose split entries are lists of pairs."""
    try:
        with open(folder / FILES, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read {folder / FILES} ({type(e).__name__}); prepare the "
                        f"dataset again") from None
    lists = ([v for k, v in doc.items() if k != "classes" and isinstance(v, list)]
             if isinstance(doc, dict) else None)
    if lists is None or not all(isinstance(pair, list) and len(pair) == 2
                                for v in lists for pair in v):
        raise UserError(f"{folder / FILES} is not a list of files per split (it holds a JSON "
                        f"{type(doc).__name__} of another shape); prepare the dataset again")
    return doc


def split_sizes(folder: Path, splits) -> dict:
    files = read_files(folder)
    missing = [s for s in splits if not isinstance(files.get(s), list)]
    if missing:
        raise UserError(f"{folder / FILES} lists no {missing[0]} split; prepare the dataset "
                        f"again")
    return {s: len(files[s]) for s in splits}


def split_pairs(folder: Path, split: str) -> list:
    """The split's `[path, label]` or `[image, mask]` pairs from `files.json`."""
    split_sizes(folder, (split,))
    return read_files(folder)[split]


def pair_files(tree: Path, images_dir: str, masks_dir: str, *, split: str, name: str) -> list:
    """[[image path, mask path], ...] relative to `tree`, matched by file stem."""
    images = {p.stem: p for p in list_images(tree / images_dir)}
    masks = {p.stem: p for p in list_images(tree / masks_dir)}
    if not images or set(images) != set(masks):
        missing = sorted(set(images) ^ set(masks))[:3]
        raise UserError(f"{name} {split}: images in {tree / images_dir} and labels in "
                        f"{tree / masks_dir} do not pair up (e.g. {missing}); every image "
                        f"needs a label image of the same name")
    return [[f"{images_dir}/{images[s].name}", f"{masks_dir}/{masks[s].name}"]
            for s in sorted(images)]


def classification_cache(folder: Path, split: str, size: int) -> dict:
    """`{"images": uint8 (N, 3, size, size), "labels": int64 (N,)}` for the split, cached."""
    def build():
        pairs = split_pairs(folder, split)
        paths = [folder / p for p, _ in pairs]
        images = decode_all(paths, lambda p: read_rgb(p, size=(size, size)))
        return {"images": images, "labels": torch.tensor([y for _, y in pairs])}

    return cached(folder / f"cache_{split}_{size}.pt", build)


def segmentation_cache(folder: Path, split: str, size: int) -> dict:
    """`{"images": uint8 (N, 3, H, W), "masks": uint8 (N, H, W)}`, shorter side `size`."""
    def build():
        pairs = split_pairs(folder, split)

        with Image.open(folder / pairs[0][0]) as im:
            wh = shorter_side(im.size, size)
        images = decode_all([folder / p for p, _ in pairs], lambda p: read_rgb(p, size=wh))
        masks = decode_all([folder / m for _, m in pairs], lambda p: read_mask(p, size=wh))
        return {"images": images, "masks": masks}

    return cached(folder / f"cache_{split}_{size}.pt", build, keys=("images", "masks"))


def load_classification(info, split: str, root, *, image_size: int,
                        train_transform: bool | None):
    """An `ImageTensorDataset` at `image_size`; augmentation (crop with padding of 1/8 of the
    size, flip) defaults to on for the train split only."""
    folder = require_prepared(info.name, root)
    data = classification_cache(folder, split, image_size)
    classes = read_files(folder).get("classes", info.class_names)
    augment = split == "train" if train_transform is None else bool(train_transform)
    return ImageTensorDataset(data["images"], data["labels"], mean=info.mean, std=info.std,
                              augment=augment, padding=image_size // 8, classes=classes)


def load_segmentation(info, split: str, root, *, lut: torch.Tensor, size: int, crop: int,
                      train_transform: bool | None):
    """A `SegmentationTensorDataset`: resized so the shorter side is `size`; for training a
    random `crop` window and a flip (jointly on image and mask), otherwise the whole frame."""
    folder = require_prepared(info.name, root)
    data = segmentation_cache(folder, split, size)
    augment = split == "train" if train_transform is None else bool(train_transform)
    return SegmentationTensorDataset(data["images"], data["masks"], lut=lut, mean=info.mean,
                                     std=info.std, augment=augment,
                                     crop=crop if augment else None, classes=info.class_names)


def check_masks(folder: Path, split: str, size: int, *, max_value: int, name: str) -> None:
    """Raise `UserError` if any stored label value of the split exceeds `max_value`."""
    top = int(segmentation_cache(folder, split, size)["masks"].max())
    if top > max_value:
        raise UserError(f"{name} {split} labels contain value {top}, expected 0..{max_value}; "
                        f"these are not {name}'s class-id label images")
