"""`imagefolder`: one's own classification data, a folder of class folders, under a name.

    python -m ddad_lite data prepare imagefolder --from DIR --name pets [--image-size 64]
    python -m ddad_lite distill --dataset pets ...

Source (`--from` is required; there is nothing to download): a folder or an archive holding
either `train/<class>/*` and `test/<class>/*` (the split given), or `<class>/*` alone (the
split made: a `test_fraction` of each class, drawn with `seed`, is the test split). Classes
are the train split's folder names in sorted order; at least two are needed, and every test
class must also appear in train. The image files are copied to `<root>/<name>/` and listed in
`files.json`; loading decodes a split once per size into a uint8 cache (`file_datasets.py`).

Size: `image_size` (square) if given, each image resized to it; otherwise the images' own
size, which must then be one square size for all of them (mixed or non-square sizes are
refused in one line that says to pass `--image-size`). Normalisation: the per-channel mean and
std of the train split, unless given (`mean`, `std`: e.g. ImageNet's for a teacher trained
with them). All of it is written to the manifest, from which `distill --dataset NAME` takes
the class count, size and normalisation (`prepared_entry`) and a recipe (config/recipes.py).
Transforms: the train split adds a random crop with `image_size // 8` zero padding and a
horizontal flip. Without `--name` the dataset is called `imagefolder`.
"""

from __future__ import annotations

import re
import sys
from functools import partial
from pathlib import Path

import torch

from ..errors import UserError
from ..paths import resolve_data_root
from . import DatasetInfo, register
from .file_datasets import classification_cache, load_classification, write_files
from .file_datasets import split_sizes as _split_sizes
from .image_files import class_folders, header_size, transfer
from .storage import MANIFEST, find_folder, read_manifest

INFO = DatasetInfo(
    name="imagefolder", task="classification", num_classes=0, image_size=32, channels=3,
    mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), splits=("train", "test"),
)
ONLINE = ()
NO_ONLINE = ("imagefolder has no online source; run: python -m ddad_lite data prepare "
             "imagefolder --from DIR --name NAME (a folder or archive with <class>/ folders, "
             "or train/<class>/ and test/<class>/)")
KNOWN_ARCHIVES: dict = {}
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_\-]*")


def import_source(src: Path, out: Path, *, progress: bool = True, move: bool = False,
                  image_size: int | None = None, test_fraction: float = 0.2, seed: int = 0,
                  mean=None, std=None) -> dict:
    """Copy (or move) the class folders of `src` into `out`, list them, fix the size, build
    the caches and measure the normalisation; the manifest's facts."""
    tree = find_folder(src, lambda d: (d / "train").is_dir() and (d / "test").is_dir())
    if tree is not None:
        found = {s: {c: f for c, f in class_folders(tree / s).items() if f}
                 for s in INFO.splits}
        split_made = None
    else:
        tree = find_folder(src, lambda d: len(_classes(d)) > 0)
        if tree is None:
            raise UserError(f"no class folders with images found in {src}; lay the images out "
                            f"as <class>/* (or train/<class>/* and test/<class>/*)")
        found = _split(_classes(tree), test_fraction=test_fraction, seed=seed)
        split_made = {"test_fraction": test_fraction, "seed": seed}
    classes = sorted(found["train"])
    where = tree / "train" if split_made is None else tree
    if len(classes) < 2:
        raise UserError(f"{where} has {len(classes)} class folder(s) with images "
                        f"({', '.join(classes) or 'none'}); a classifier needs at least two: "
                        f"put each class's images in a folder of its own")
    unknown = sorted(set(found["test"]) - set(classes))
    if unknown:
        raise UserError(f"test classes {unknown[:3]} do not appear in {where}; every "
                        f"test class needs training images")
    size = image_size or _common_size([p for s in found.values() for f in s.values()
                                       for p in f], tree)
    lists = {}
    for split in INFO.splits:
        lists[split] = [[p.relative_to(tree).as_posix(), classes.index(c)]
                        for c in sorted(found[split]) for p in found[split][c]]
    for part in sorted({Path(p).parts[0] for s in lists.values() for p, _ in s}):
        transfer(tree / part, out / part, move=move)
    write_files(out, lists, classes=classes)
    for split in INFO.splits:
        if progress:
            print(f"  decoding {len(lists[split])} {split} images", file=sys.stderr, flush=True)
        classification_cache(out, split, size)
    measured = channel_stats(classification_cache(out, "train", size)["images"])
    return {"splits": {s: len(lists[s]) for s in INFO.splits}, "classes": classes,
            "kind": "imagefolder", "image_size": size, "channels": 3,
            "mean": list(mean) if mean else measured[0], "std": list(std) if std else measured[1],
            "normalisation": "given" if mean or std else "measured on the train split",
            "split_made": split_made}


def _classes(folder: Path) -> dict[str, list[Path]]:
    return {c: f for c, f in class_folders(folder).items() if f}


def _split(found: dict[str, list[Path]], *, test_fraction: float, seed: int) -> dict:
    """Per class, `test_fraction` of the files (at least one when there are two or more)
    drawn with `seed` for the test split; the rest train."""
    if not 0 < test_fraction < 1:
        raise UserError(f"--test-fraction must be in (0, 1), not {test_fraction}")
    out = {"train": {}, "test": {}}
    for i, (c, files) in enumerate(sorted(found.items())):
        order = torch.randperm(len(files), generator=torch.Generator().manual_seed(seed + i))
        n_test = max(1, round(test_fraction * len(files))) if len(files) > 1 else 0
        test = set(order[:n_test].tolist())
        out["train"][c] = [f for j, f in enumerate(files) if j not in test]
        out["test"][c] = [f for j, f in enumerate(files) if j in test]
    out["test"] = {c: f for c, f in out["test"].items() if f}
    return out


def _common_size(paths: list[Path], tree: Path) -> int:
    """The one square size of every image, or a `UserError` that says to pass one."""
    sizes: dict[tuple, Path] = {}
    for p in paths:
        sizes.setdefault(header_size(p), p)
        if len(sizes) > 1:
            (a, pa), (b, pb) = list(sizes.items())[:2]
            raise UserError(f"images in {tree} have different sizes ({a[0]}x{a[1]} "
                            f"{pa.name}, {b[0]}x{b[1]} {pb.name}); pass --image-size N to "
                            f"resize every image to N x N")
    (w, h), p = next(iter(sizes.items()))
    if w != h:
        raise UserError(f"images in {tree} are {w}x{h}, not square; pass --image-size N to "
                        f"resize every image to N x N")
    return w


def channel_stats(images: torch.Tensor, chunk: int = 4096) -> tuple[list, list]:
    """Per-channel mean and std in [0, 1] of uint8 images (N, C, H, W), in chunks."""
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for start in range(0, len(images), chunk):
        x = images[start:start + chunk].to(torch.float64) / 255
        total += x.sum(dim=(0, 2, 3))
        squares += (x * x).sum(dim=(0, 2, 3))
    n = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / n
    std = (squares / n - mean * mean).clamp_min(1e-12).sqrt()
    return [round(v, 4) for v in mean.tolist()], [round(max(v, 1e-3), 4) for v in std.tolist()]


def check_name(name: str, builtin) -> None:
    """A user's dataset name: lowercase letters, digits, '-' and '_', not a kit dataset's."""
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(f"--name {name!r}: use lowercase letters, digits, '-' and '_'")
    if name in builtin and name != INFO.name:
        raise UserError(f"--name {name!r} is a dataset of the kit; choose another name")


def split_sizes(folder: Path) -> dict:
    return _split_sizes(folder, INFO.splits)


def prepared_entry(name: str, root=None):
    """(DatasetInfo, loader) of the image folder prepared as `name` under `root`, from its
    manifest; None when there is none."""
    folder = resolve_data_root(root) / name
    if not (folder / MANIFEST).is_file():
        return None
    manifest = read_manifest(folder)
    if manifest.get("kind", manifest.get("name")) != INFO.name:
        return None
    info = DatasetInfo(name=name, task="classification", num_classes=len(manifest["classes"]),
                       image_size=manifest.get("image_size", INFO.image_size), channels=3,
                       mean=tuple(manifest.get("mean", INFO.mean)),
                       std=tuple(manifest.get("std", INFO.std)), splits=INFO.splits,
                       class_names=tuple(manifest["classes"]))
    return info, partial(_load_prepared, info)


def _load_prepared(info, split, root=None, *, image_size: int | None = None,
                   train_transform: bool | None = None):
    return load_classification(info, split, root, image_size=image_size or info.image_size,
                               train_transform=train_transform)


@register(INFO)
def load_imagefolder(split, root=None, *, image_size: int | None = None,
                     train_transform: bool | None = None):
    entry = prepared_entry(INFO.name, root)
    info = entry[0] if entry else INFO
    return _load_prepared(info, split, root, image_size=image_size,
                          train_transform=train_transform)
