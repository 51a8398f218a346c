"""`mnist`: MNIST digits (LeCun et al., 1998), 60,000 train / 10,000 test, resized to 32x32.

Source: the four idx files `{train,t10k}-{images-idx3,labels-idx1}-ubyte`, plain or `.gz`,
anywhere under the source (torchvision's `MNIST/raw/` layout works), from a folder or an
archive. Online, the `.gz` files come from the usual mirrors and are checked against their
published md5s.

The idx format: a 4-byte magic number (two zero bytes, a type code, 0x08 for unsigned bytes,
and the number of dimensions), the dimensions as big-endian uint32, then the data. The parser
checks the magic number, the dimensions and the data length, so a corrupted file is a clear
`UserError`. Stored as `<root>/mnist/{train,test}.pt` with uint8 (N, 1, 28, 28) images.

The loader brings each 28x28 digit to 32x32, LeNet-5's input size, as DFAD's does
(`dataloader.py`, lines 13 and 21: `transforms.Resize((32, 32))`, bilinear on the uint8
image): bilinear interpolation with half-pixel centres (align_corners=False; for upsampling
the same weights as PIL's), rounded back to uint8; then it normalises with
(0.1307,)/(0.3081,). `mnist_padded` is the kit's earlier variant (the same files): the digit
zero-padded by 2 pixels on each side, strokes kept as they are. MNIST is not augmented
(`train_transform` is accepted and ignored), as in DAFL and DFAD.
"""

from __future__ import annotations

import dataclasses
import gzip
import struct
import zlib
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import UserError
from ..files import save_torch
from . import DatasetInfo, register
from .archive import Remote
from .storage import load_tensors, require_prepared
from .tensor_datasets import ImageTensorDataset

INFO = DatasetInfo(
    name="mnist", task="classification", num_classes=10, image_size=32, channels=1,
    mean=(0.1307,), std=(0.3081,), splits=("train", "test"),
    class_names=tuple(str(d) for d in range(10)),
)

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
ONLINE = tuple(Remote(urls=tuple(m + name for m in _MIRRORS), filename=name, md5=md5)
               for name, md5 in _MD5.items())
KNOWN_ARCHIVES: dict = {}
SIZE, PAD = 32, 2  # resized 28 -> 32, or padded 28 + 2 * 2 = 32
PADDED_INFO = dataclasses.replace(INFO, name="mnist_padded")


def read_idx(path: Path, *, ndim: int) -> torch.Tensor:
    """Parse an idx file of unsigned bytes (plain or gzip) with `ndim` dimensions."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise UserError(f"cannot read {path} ({type(e).__name__}); the file is corrupted, "
                        f"fetch it again") from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08 or raw[3] != ndim:
        raise UserError(f"{path} is not an idx file of {ndim}-d unsigned bytes (bad magic "
                        f"number {raw[:4].hex()}); the file is corrupted or not MNIST's")
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", raw[4:header]) if len(raw) >= header else ()
    expected = header + (torch.tensor(dims).prod().item() if dims else 0)
    if len(dims) != ndim or len(raw) != expected:
        raise UserError(f"{path} holds {len(raw)} bytes but its header {dims} says {expected}; "
                        f"the file is truncated or corrupted, fetch it again")
    return torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8).view(*dims)


def _find(src: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        hits = sorted(src.rglob(name))
        if hits:
            return hits[0]
    raise UserError(f"{stem}[.gz] not found under {src}; expected MNIST's four idx files "
                    f"(e.g. MNIST/raw/{stem}.gz)")


def import_source(src: Path, out: Path, *, progress: bool = True, move: bool = False) -> dict:
    """Parse the idx files under `src` into `out/{train,test}.pt`; returns the facts."""
    splits = {}
    for split, (images_stem, labels_stem) in FILES.items():
        images = read_idx(_find(src, images_stem), ndim=3)
        labels = read_idx(_find(src, labels_stem), ndim=1).long()
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise UserError(f"MNIST {split}: {len(images)} images of {tuple(images.shape[1:])} "
                            f"and {len(labels)} labels; expected matching 28x28 files")
        if labels.max() > 9:
            raise UserError(f"MNIST {split} labels go up to {labels.max()}, expected 0..9; the "
                            f"label file is corrupted")
        save_torch(out / f"{split}.pt",
                   {"images": images.unsqueeze(1).contiguous(), "labels": labels})
        splits[split] = len(labels)
    return {"splits": splits, "classes": list(INFO.class_names)}


def split_sizes(folder: Path) -> dict:
    return {s: len(load_tensors(folder / f"{s}.pt")["labels"]) for s in INFO.splits}


def resize_digits(images: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """uint8 (N, 1, 28, 28) -> uint8 (N, 1, size, size), bilinear, half-pixel centres."""
    out = F.interpolate(images.float(), size=(size, size), mode="bilinear",
                        align_corners=False)
    return out.round_().clamp_(0, 255).to(torch.uint8)


def _load(split, root, *, fit: str):
    data = load_tensors(require_prepared(INFO.name, root) / f"{split}.pt")
    if fit == "resize":
        images = resize_digits(data["images"])
    else:
        images = F.pad(data["images"], (PAD, PAD, PAD, PAD))
    return ImageTensorDataset(images, data["labels"], mean=INFO.mean, std=INFO.std,
                              classes=INFO.class_names)


@register(INFO)
def load_mnist(split, root=None, *, train_transform: bool | None = None):
    """MNIST resized to 1x32x32 (DFAD); `train_transform` is accepted and ignored."""
    return _load(split, root, fit="resize")


@register(PADDED_INFO)
def load_mnist_padded(split, root=None, *, train_transform: bool | None = None):
    """MNIST zero-padded to 1x32x32 (the kit's earlier variant); prepared as `mnist`."""
    return _load(split, root, fit="pad")
