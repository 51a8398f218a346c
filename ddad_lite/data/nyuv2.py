"""`nyuv2`: NYU Depth v2 indoor scenes (Silberman et al., 2012), 13-class segmentation.

The official labelled file (`nyu_depth_v2_labeled.mat`) is HDF5 and needs h5py plus the
13-class mapping, which this kit does not depend on. `prepare` therefore imports a
*pre-converted* layout, from a folder, an archive, or an archive URL (`--from https://...`):

    {train,test}/image/<name>.png     RGB frames (640x480 in the standard 795/654 split)
    {train,test}/label13/<name>.png   8-bit labels: 0 = unlabelled, 1..13 = the 13 classes

The layout of the common converter (`image/{train,test}/`, `seg13/{train,test}/`) is accepted
as well. Labels: stored value k in 1..13 becomes class k - 1; 0 (unlabelled) becomes
`ignore_index` 255. Any value above 13 is refused, so labels converted with another
convention are caught at `prepare`.

Transforms: as `camvid` (shorter side 256, train: random 128 crop + flip jointly, eval: whole
frame). Normalisation: DFAD's, mean 0.5 and std 0.5 per channel (DFAD `dataloader.py`,
lines 122 and 130).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from ..errors import UserError
from . import DatasetInfo, register
from .file_datasets import check_masks, load_segmentation, pair_files, write_files
from .file_datasets import split_sizes as _split_sizes
from .image_files import transfer
from .storage import find_folder

CLASSES = ("bed", "books", "ceiling", "chair", "floor", "furniture", "objects", "painting",
           "sofa", "table", "tv", "wall", "window")
IGNORE_INDEX = 255
SIZE, CROP = 256, 128
# DFAD's normalisation (dataloader.py: ExtNormalize((0.5,), (0.5,))): x = (pixel - 0.5) / 0.5.
DFAD_MEAN, DFAD_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
INFO = DatasetInfo(
    name="nyuv2", task="segmentation", num_classes=13, image_size=CROP, channels=3,
    mean=DFAD_MEAN, std=DFAD_STD, splits=("train", "test"),
    ignore_index=IGNORE_INDEX, class_names=CLASSES,
)
ONLINE = ()
NO_ONLINE = ("nyuv2 has no online archive in the 13-class layout this kit reads; convert it "
             "and run: python -m ddad_lite data prepare nyuv2 --from PATH_OR_URL "
             "(see ddad_lite/data/nyuv2.py)")
KNOWN_ARCHIVES: dict = {}
# Stored label value -> class id: 1..13 -> 0..12; 0 (unlabelled) and anything else -> 255.
LUT = torch.full((256,), IGNORE_INDEX, dtype=torch.long)
LUT[1:14] = torch.arange(13)


def _layout(src: Path):
    """(tree, {split: (image folder, label folder)}) for either accepted layout."""
    ours = find_folder(src, lambda d: all((d / s / k).is_dir() for s in INFO.splits
                                          for k in ("image", "label13")))
    if ours is not None:
        return ours, {s: (f"{s}/image", f"{s}/label13") for s in INFO.splits}
    theirs = find_folder(src, lambda d: all((d / k / s).is_dir() for s in INFO.splits
                                            for k in ("image", "seg13")))
    if theirs is not None:
        return theirs, {s: (f"image/{s}", f"seg13/{s}") for s in INFO.splits}
    raise UserError(f"no NYUv2 13-class layout found in {src}: expected "
                    f"{{train,test}}/image/*.png and {{train,test}}/label13/*.png")


def import_source(src: Path, out: Path, *, progress: bool = True, move: bool = False) -> dict:
    tree, dirs = _layout(src)
    lists = {}
    for split, (images_dir, masks_dir) in dirs.items():
        pairs = pair_files(tree, images_dir, masks_dir, split=split, name="nyuv2")
        transfer(tree / images_dir, out / split / "image", move=move)
        transfer(tree / masks_dir, out / split / "label13", move=move)
        lists[split] = [[f"{split}/image/{Path(i).name}", f"{split}/label13/{Path(m).name}"]
                        for i, m in pairs]
    write_files(out, lists, classes=list(CLASSES), label_rule="stored k in 1..13 -> k - 1")
    for split in INFO.splits:
        if progress:
            print(f"  decoding {len(lists[split])} {split} frames", file=sys.stderr, flush=True)
        check_masks(out, split, SIZE, max_value=13, name="nyuv2")
    return {"splits": {s: len(lists[s]) for s in INFO.splits}, "classes": list(CLASSES),
            "ignore_index": IGNORE_INDEX}


def split_sizes(folder: Path) -> dict:
    return _split_sizes(folder, INFO.splits)


@register(INFO)
def load_nyuv2(split, root=None, *, train_transform: bool | None = None):
    return load_segmentation(INFO, split, root, lut=LUT, size=SIZE, crop=CROP,
                             train_transform=train_transform)
