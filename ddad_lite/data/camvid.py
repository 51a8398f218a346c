"""`camvid`: CamVid road scenes as used by SegNet, 11 classes, 367 train / 101 val / 233 test.

Source: the SegNet layout `CamVid/{train,val,test}/<name>.(png|jpg)` with label images
`CamVid/{train,val,test}annot/<name>.png` (8-bit class ids 0-10, 11 = void), from a folder or
an archive such as `camvid-jpeg.zip` (recognised by name and checked against its sha256).
There is no official archive with a published checksum to download, so `--from` is required.

Labels: class ids 0..10 are kept; void (11, and any value above) becomes `ignore_index` 255,
the same void value as `nyuv2`, so one loss setting serves both segmentation datasets.

Transforms (DFAD's protocol): frames are resized so the shorter side is 256 (480x360 ->
341x256; bilinear for images, nearest for labels) and cached once as uint8. Training takes a
random 128x128 crop and a horizontal flip, jointly on image and mask; evaluation uses the whole
256-pixel frame (no crop), so every pixel of the test set counts. Normalisation: DFAD's,
mean 0.5 and std 0.5 per channel, so x lies in [-1, 1] like GeneratorB's tanh output
(DFAD `dataloader.py`, lines 103 and 111; the kit used ImageNet statistics before).
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

CLASSES = ("sky", "building", "pole", "road", "pavement", "tree", "sign_symbol", "fence", "car",
           "pedestrian", "bicyclist")
VOID, IGNORE_INDEX = 11, 255
SIZE, CROP = 256, 128
# DFAD's normalisation (dataloader.py: ExtNormalize((0.5,), (0.5,))): x = (pixel - 0.5) / 0.5.
DFAD_MEAN, DFAD_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
INFO = DatasetInfo(
    name="camvid", task="segmentation", num_classes=11, image_size=CROP, channels=3,
    mean=DFAD_MEAN, std=DFAD_STD, splits=("train", "val", "test"),
    ignore_index=IGNORE_INDEX, class_names=CLASSES,
)
ONLINE = ()
NO_ONLINE = ("camvid has no official archive with a published checksum; get the SegNet "
             "CamVid folder and run: python -m ddad_lite data prepare camvid --from PATH")
KNOWN_ARCHIVES = {"camvid-jpeg.zip": {
    "sha256": "66b91c8adca8fc390dcd48318b7866d9f521d64a35a3014b866b0365c4367c61"}}
# Stored label value -> class id: 0..10 stay, void and anything else -> 255.
LUT = torch.full((256,), IGNORE_INDEX, dtype=torch.long)
LUT[:VOID] = torch.arange(VOID)


def import_source(src: Path, out: Path, *, progress: bool = True, move: bool = False) -> dict:
    want = [d for s in INFO.splits for d in (s, f"{s}annot")]
    tree = find_folder(src, lambda d: all((d / w).is_dir() for w in want))
    if tree is None:
        raise UserError(f"no CamVid layout found in {src}: expected CamVid/{{train,val,test}}/ "
                        f"and CamVid/{{train,val,test}}annot/")
    lists = {s: pair_files(tree, s, f"{s}annot", split=s, name="camvid") for s in INFO.splits}
    for folder in want:
        transfer(tree / folder, out / folder, move=move)
    write_files(out, lists, classes=list(CLASSES), void=VOID)
    for split in INFO.splits:
        if progress:
            print(f"  decoding {len(lists[split])} {split} frames", file=sys.stderr, flush=True)
        check_masks(out, split, SIZE, max_value=VOID, name="camvid")
    return {"splits": {s: len(lists[s]) for s in INFO.splits}, "classes": list(CLASSES),
            "ignore_index": IGNORE_INDEX}


def split_sizes(folder: Path) -> dict:
    return _split_sizes(folder, INFO.splits)


@register(INFO)
def load_camvid(split, root=None, *, train_transform: bool | None = None):
    return load_segmentation(INFO, split, root, lut=LUT, size=SIZE, crop=CROP,
                             train_transform=train_transform)
