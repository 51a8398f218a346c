"""CIFAR-10 and CIFAR-100: import from either published form, serve as uint8 tensors.

Two source forms are accepted, from an archive or an extracted folder:

- the official python tarball (`cifar-10-batches-py/data_batch_1..5, test_batch, batches.meta`
  or `cifar-100-python/train, test, meta`): pickled numpy arrays, read with an unpickler that
  allows only the numpy array reconstruction it needs (a pickle can otherwise run code);
- class folders `train/<class>/*.jpg|png` and `test/<class>/*` (as in `cifar10-jpeg.zip`).

Either way the labels follow CIFAR's official class order (not the order of folders on disk),
every image must be 32x32, and the result is stored as `<root>/<name>/{train,test}.pt`:
`{"images": uint8 (N, 3, 32, 32), "labels": int64 (N,)}`, about 150 MB for the training split.
Loading memory-maps that file, so it is instant after the first import.
"""

from __future__ import annotations

import io
import pickle
import sys
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy
import torch

from ..errors import UserError
from ..files import save_torch
from .image_files import IMAGE_EXTENSIONS, class_folders, decode_all, read_rgb
from .storage import find_folder, load_tensors, require_prepared
from .tensor_datasets import ImageTensorDataset

SPLITS = ("train", "test")

# The only globals a CIFAR pickle needs: numpy's array reconstruction and bytes decoding.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        if module == "numpy.core.multiarray":  # numpy >= 2 moved it
            if hasattr(numpy, "_core"):
                module = "numpy._core.multiarray"
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            raw = _ArrayUnpickler(f, encoding="bytes").load()
    except Exception as e:
        raise UserError(f"cannot read CIFAR batch {path} ({type(e).__name__}: {e}); the file is "
                        f"corrupted or not a CIFAR python batch, import it again") from None
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}


def _names(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _from_pickles(folder: Path, *, name: str, classes: tuple, batches: dict, meta: str,
                  label_key: str, names_key: str) -> dict:
    """{split: (images, labels)} from the official python batches in `folder`."""
    meta_names = _names(_unpickle(folder / meta)[names_key])
    if tuple(meta_names) != classes:
        raise UserError(f"{folder / meta} lists classes {meta_names[:3]}..., not {name}'s; "
                        f"this is not the official {name} archive")
    out = {}
    for split, files in batches.items():
        images, labels = [], []
        for file in files:
            batch = _unpickle(folder / file)
            data = torch.as_tensor(batch["data"]).to(torch.uint8)
            if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise UserError(f"{folder / file} holds data of shape {tuple(data.shape)}, "
                                f"expected (N, 3072); the file is corrupted, import it again")
            images.append(data.view(-1, 3, 32, 32))
            labels.append(torch.as_tensor(batch[label_key], dtype=torch.int64))
        out[split] = (torch.cat(images), torch.cat(labels))
    return out


def _from_class_folders(folder: Path, *, name: str, classes: tuple,
                        progress: bool) -> dict:
    """{split: (images, labels)} from `folder/{train,test}/<class>/*` image files."""
    index = {c: i for i, c in enumerate(classes)}
    out = {}
    for split in SPLITS:
        found = class_folders(folder / split)
        _check_classes(found, str(folder / split), name, classes)
        paths = [p for c in classes for p in found[c]]
        labels = torch.tensor([index[c] for c in classes for _ in found[c]], dtype=torch.int64)
        if progress:
            print(f"  decoding {len(paths)} {split} images", file=sys.stderr, flush=True)
        images = decode_all(paths, lambda p: read_rgb(p, expect=(32, 32)), workers=1)
        out[split] = (images, labels)
    return out


def _check_classes(found, where: str, name: str, classes: tuple) -> None:
    if set(found) != set(classes):
        extra, missing = sorted(set(found) - set(classes)), sorted(set(classes) - set(found))
        raise UserError(f"{where} has class folders that do not match {name}'s (missing "
                        f"{missing[:3]}, unexpected {extra[:3]}); use {name}'s class names")


# A 32x32 image file is a few kilobytes; a member announcing more is not a CIFAR image.
MAX_IMAGE_MEMBER_BYTES = 1 << 20


def import_cifar_zip(archive: Path, out: Path, *, name: str, classes: tuple,
                     progress: bool = True) -> dict | None:
    """Decode a class-folder zip straight from the archive; None if it has no class folders.

    Writing 60,000 tiny files to disk takes far longer than decoding them, so the images are
    read from the zip itself, one member at a time and never more than
    `MAX_IMAGE_MEMBER_BYTES` of one; reading a member in full checks its CRC-32. A damaged or
    truncated zip is a one-line `UserError`.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            return _import_zip(zf, archive, out, name=name, classes=classes, progress=progress)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
            NotImplementedError, UnicodeDecodeError) as e:
        raise UserError(f"{archive} is corrupted or truncated ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else 'unreadable'}); fetch it "
                        f"again") from None


def _class_members(zf: zipfile.ZipFile, archive: Path) -> dict[str, dict[str, list]]:
    """{split: {class: [ZipInfo of an image]}} for `split/class/image` members at any depth."""
    members: dict[str, dict[str, list]] = {s: {} for s in SPLITS}
    for info in zf.infolist():
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if (info.is_dir() or len(parts) < 3 or parts[-3] not in SPLITS
                or any(p.startswith("__MACOSX") for p in parts)
                or parts[-1].startswith(".")
                or PurePosixPath(parts[-1]).suffix.lower() not in IMAGE_EXTENSIONS):
            continue
        if any(p.startswith(".") for p in parts[:-3]):
            continue  # inside a hidden folder higher up
        if parts[-2].startswith("."):
            raise UserError(f"{archive.name}: class folder {'/'.join(parts[:-1])!r} holds images "
                            f"but its name starts with a dot (a hidden folder); rename it in "
                            f"the archive")
        if info.file_size > MAX_IMAGE_MEMBER_BYTES:
            raise UserError(f"{archive.name}: member {info.filename!r} announces "
                            f"{info.file_size:,} bytes, far more than a 32x32 image; this is "
                            f"not a CIFAR archive")
        members[parts[-3]].setdefault(parts[-2], []).append(info)
    return members


def _import_zip(zf: zipfile.ZipFile, archive: Path, out: Path, *, name: str, classes: tuple,
                progress: bool) -> dict | None:
    members = _class_members(zf, archive)
    if not all(members.values()):
        return None

    def read(info):
        with zf.open(info) as member:  # stops at the announced size, checked above
            data = io.BytesIO(member.read(MAX_IMAGE_MEMBER_BYTES + 1))
        data.name = f"{archive.name}:{info.filename}"
        return read_rgb(data, expect=(32, 32))

    out_data = {}
    for split in SPLITS:
        _check_classes(members[split], f"{archive.name}:{split}/", name, classes)
        infos = [(i, m) for i, c in enumerate(classes)
                 for m in sorted(members[split][c], key=lambda m: m.filename)]
        if progress:
            print(f"  decoding {len(infos)} {split} images", file=sys.stderr, flush=True)
        images = decode_all([m for _, m in infos], read, workers=1)
        out_data[split] = (images, torch.tensor([i for i, _ in infos], dtype=torch.int64))
    return _save(out_data, out, name=name, classes=classes)


def _save(data: dict, out: Path, *, name: str, classes: tuple) -> dict:
    """Check the labels and write `out/{split}.pt`; the facts for the manifest."""
    for split, (images, labels) in data.items():
        if labels.min() < 0 or labels.max() >= len(classes):
            raise UserError(f"{name} {split} labels fall outside 0..{len(classes) - 1}; the "
                            f"source is corrupted, import it again")
        save_torch(out / f"{split}.pt", {"images": images.contiguous(), "labels": labels})
    return {"splits": {s: len(data[s][1]) for s in SPLITS}, "classes": list(classes)}


def import_cifar(src: Path, out: Path, *, name: str, classes: tuple, pickle_folder: str,
                 progress: bool, **pickle_layout) -> dict:
    """Find a CIFAR source under `src`, decode it, write `out/{split}.pt`; returns the facts."""
    pickles = find_folder(src, lambda d: d.name == pickle_folder and d.is_dir())
    if pickles is not None:
        data = _from_pickles(pickles, name=name, classes=classes, **pickle_layout)
    else:
        tree = find_folder(src, lambda d: all((d / s).is_dir() for s in SPLITS))
        if tree is None:
            raise UserError(f"no {name} data found in {src}: expected the official "
                            f"'{pickle_folder}' batches or train/<class>/ and test/<class>/ "
                            f"image folders")
        data = _from_class_folders(tree, name=name, classes=classes, progress=progress)
    return _save(data, out, name=name, classes=classes)


def split_sizes(folder: Path) -> dict:
    return {s: len(load_tensors(folder / f"{s}.pt")["labels"]) for s in SPLITS}


def load_cifar(split: str, root, *, info, train_transform: bool | None = None):
    """The CIFAR split as an `ImageTensorDataset`.

    `train_transform`: random crop (padding 4) + horizontal flip; default: on for the train
    split only (used to train teachers; the distillation engine only evaluates on real data).
    """
    folder = require_prepared(info.name, root)
    data = load_tensors(folder / f"{split}.pt")
    augment = split == "train" if train_transform is None else bool(train_transform)
    return ImageTensorDataset(data["images"], data["labels"], mean=info.mean, std=info.std,
                              augment=augment, padding=4, classes=info.class_names)
