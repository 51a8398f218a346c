"""`caltech101`: Caltech101 (Fei-Fei et al., 2004), 101 object classes, served at 128x128.

Source: the official layout `101_ObjectCategories/<class>/*.jpg` from a folder or an archive;
the official `caltech-101.zip` nests it in `caltech-101/101_ObjectCategories.tar.gz`, which is
extracted in turn. `BACKGROUND_Google` is not a class and is left out (101 classes remain,
in alphabetical order of their folder names, as torchvision's `Caltech101`).

Split (the kit's choice; DFAD does not publish its own): per class, 80% train / 20% test,
drawn with a fixed seed (0) from the file names in sorted order, so every machine gets the
same split. The file lists are kept in `<root>/caltech101/files.json`; `prepare` decodes
both splits once at 128x128 into uint8 caches (see `file_datasets.py`).

Transforms: every image is resized to `image_size` x `image_size` (default 128, DFAD's);
the train split adds a random crop with 16-pixel zero padding and a horizontal flip (for
teacher training; `train_transform=False` turns it off). Normalisation: DFAD's, mean 0.5 and
std 0.5 per channel (DFAD `dataloader.py`, lines 69 and 78). DFAD resizes the shorter side to
128 and crops 128 (random for training, centred for testing); the kit squashes to 128x128.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from ..errors import UserError
from . import DatasetInfo, register
from .archive import Remote, extract_archive
from .file_datasets import classification_cache, load_classification, write_files
from .file_datasets import split_sizes as _split_sizes
from .image_files import list_images, transfer
from .storage import find_folder

DFAD_MEAN, DFAD_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
INFO = DatasetInfo(
    name="caltech101", task="classification", num_classes=101, image_size=128, channels=3,
    mean=DFAD_MEAN, std=DFAD_STD, splits=("train", "test"),
)
ONLINE = (Remote(urls=("https://data.caltech.edu/records/mzrjq-6wc02/files/caltech-101.zip",),
                 filename="caltech-101.zip", md5="3138e1922a9193bfa496528edbbc45d0"),)
KNOWN_ARCHIVES = {"caltech-101.zip": {"md5": "3138e1922a9193bfa496528edbbc45d0"}}
FOLDER = "101_ObjectCategories"
IGNORED = ("BACKGROUND_Google",)
TRAIN_FRACTION, SEED = 0.8, 0


def split_files(files_per_class: dict, *, train_fraction: float = TRAIN_FRACTION,
                seed: int = SEED) -> dict:
    """{"train": [[path, label], ...], "test": [...]}: a seeded per-class split."""
    generator = torch.Generator().manual_seed(seed)
    out = {"train": [], "test": []}
    for label, files in enumerate(files_per_class.values()):
        order = torch.randperm(len(files), generator=generator).tolist()
        n_train = round(train_fraction * len(files))
        for rank, i in enumerate(order):
            out["train" if rank < n_train else "test"].append([files[i], label])
    return {k: sorted(v) for k, v in out.items()}


def import_source(src: Path, out: Path, *, progress: bool = True, move: bool = False) -> dict:
    """Copy (or move) the class folders into `out/images/`, split, and decode at 128 px."""
    tree = find_folder(src, lambda d: d.name == FOLDER)
    if tree is None:
        nested = sorted(src.rglob(f"{FOLDER}.tar*"))
        if not nested:
            raise UserError(f"no {FOLDER}/ folder (or {FOLDER}.tar.gz) found in {src}; pass "
                            f"the official Caltech101 archive or its extracted folder")
        inner = extract_archive(nested[0], out.parent / "inner")
        tree, move = find_folder(inner, lambda d: d.name == FOLDER), True
        if tree is None:
            raise UserError(f"{nested[0]} does not contain {FOLDER}/; this is not Caltech101")
    classes = sorted(d.name for d in tree.iterdir() if d.is_dir() and d.name not in IGNORED
                     and not d.name.startswith("."))
    if not classes:
        raise UserError(f"{tree} has no class folders; this is not Caltech101")
    files = {}
    for c in classes:
        transfer(tree / c, out / "images" / c, move=move)
        files[c] = [f"images/{c}/{p.name}" for p in list_images(out / "images" / c)]
        if not files[c]:
            raise UserError(f"Caltech101 class folder {tree / c} holds no images")
    lists = split_files(files)
    write_files(out, lists, classes=classes, seed=SEED, train_fraction=TRAIN_FRACTION)
    for split in INFO.splits:
        if progress:
            print(f"  decoding {len(lists[split])} {split} images", file=sys.stderr, flush=True)
        classification_cache(out, split, INFO.image_size)
    return {"splits": {s: len(lists[s]) for s in INFO.splits}, "classes": classes,
            "split_rule": f"per class {TRAIN_FRACTION:.0%} train, seed {SEED}"}


def split_sizes(folder: Path) -> dict:
    return _split_sizes(folder, INFO.splits)


@register(INFO)
def load_caltech101(split, root=None, *, image_size: int = 128,
                    train_transform: bool | None = None):
    return load_classification(INFO, split, root, image_size=image_size,
                               train_transform=train_transform)
