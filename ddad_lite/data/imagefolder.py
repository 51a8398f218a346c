"""`imagefolder`: any classification data laid out as `train/<class>/*` and `test/<class>/*`.

Source (`--from` is required; there is nothing to download): a folder or an archive holding
`train/` and `test/` with one sub-folder per class. Classes are the train split's folder names
in sorted order; every test class must also appear in train. The image files are copied to
`<root>/imagefolder/` and listed in `files.json`; loading decodes a split once per size into a
uint8 cache (see `file_datasets.py`).

Transforms: resize to `image_size` x `image_size` (default 32); the train split adds a random
crop with `image_size // 8` zero padding and a horizontal flip. Normalisation: ImageNet
statistics (the dataset is not known in advance). Only one image folder dataset is prepared
at a time; preparing another replaces it. Its `DatasetInfo.num_classes` is 0 because the
classes are known only once it is prepared: read them from `dataset_summary("imagefolder")`
or the loaded dataset's `classes`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UserError
from . import DatasetInfo, register
from .file_datasets import classification_cache, load_classification, write_files
from .file_datasets import split_sizes as _split_sizes
from .images import class_folders, transfer
from .storage import find_folder

INFO = DatasetInfo(
    name="imagefolder", task="classification", num_classes=0, image_size=32, channels=3,
    mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), splits=("train", "test"),
)
ONLINE = ()
NO_ONLINE = ("imagefolder has no online source; run: python -m ddad_lite data prepare "
             "imagefolder --from PATH (a folder or archive with train/<class>/ and test/<class>/)")
KNOWN_ARCHIVES: dict = {}


def import_source(src: Path, out: Path, *, progress: bool = True, move: bool = False) -> dict:
    tree = find_folder(src, lambda d: (d / "train").is_dir() and (d / "test").is_dir())
    if tree is None:
        raise UserError(f"no train/ and test/ folders found in {src}; lay the images out as "
                        f"train/<class>/* and test/<class>/*")
    found = {s: {c: f for c, f in class_folders(tree / s).items() if f} for s in INFO.splits}
    classes = sorted(found["train"])
    if not classes:
        raise UserError(f"{tree / 'train'} has no class folders with images; lay the images "
                        f"out as train/<class>/*")
    unknown = sorted(set(found["test"]) - set(classes))
    if unknown:
        raise UserError(f"test classes {unknown[:3]} do not appear in {tree / 'train'}; every "
                        f"test class needs training images")
    lists = {}
    for split in INFO.splits:
        transfer(tree / split, out / split, move=move)
        lists[split] = [[f"{split}/{c}/{p.name}", classes.index(c)]
                        for c in sorted(found[split]) for p in found[split][c]]
    write_files(out, lists, classes=classes)
    for split in INFO.splits:
        if progress:
            print(f"  decoding {len(lists[split])} {split} images", file=sys.stderr, flush=True)
        classification_cache(out, split, INFO.image_size)
    return {"splits": {s: len(lists[s]) for s in INFO.splits}, "classes": classes}


def split_sizes(folder: Path) -> dict:
    return _split_sizes(folder, INFO.splits)


@register(INFO)
def load_imagefolder(split, root=None, *, image_size: int = 32,
                     train_transform: bool | None = None):
    return load_classification(INFO, split, root, image_size=image_size,
                               train_transform=train_transform)
