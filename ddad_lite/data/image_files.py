"""Reading image files into uint8 tensors: list, decode, resize, in parallel.

Decoding is the slow part of importing a dataset, so it happens once (at `prepare`, or the
first time a new size is asked for) and the result is kept as a uint8 tensor file. PIL
releases the GIL while it decodes and resizes, so a thread pool uses every core.

Guards: an image whose header announces more than `MAX_PIXELS` pixels (a decompression bomb:
a few kilobytes of PNG that would decode to gigabytes) is refused before it is decoded, and a
class folder whose name starts with a dot but holds images (`...`, `.cats`) is refused rather
than skipped as hidden, so no class is ever dropped without a word.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms.functional import pil_to_tensor

from ..errors import UserError

# Far above any dataset image of the kit (CamVid frames are 960x720), far below a bomb.
MAX_PIXELS = 64 * 1024 * 1024

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".ppm", ".tif", ".tiff", ".webp")


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside `folder`, sorted by name."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                  and not p.name.startswith("."))


def class_folders(split_dir: Path) -> dict[str, list[Path]]:
    """`{class name: sorted image files}` for a `split_dir/<class>/*` tree.

    Hidden folders (a name starting with a dot) are skipped unless they hold images: then the
    name is refused, since skipping it would drop a class silently."""
    found = {}
    for d in sorted(split_dir.iterdir()):
        if not d.is_dir() or d.is_symlink():
            continue
        if d.name.startswith("."):
            if list_images(d):
                raise UserError(f"class folder {d} holds images but its name {d.name!r} starts "
                                f"with a dot (a hidden folder); rename it or remove it")
            continue
        found[d.name] = list_images(d)
    return found


def check_pixels(size: tuple[int, int], name) -> None:
    """Raise `UserError` for an image larger than `MAX_PIXELS` (checked from its header)."""
    if size[0] * size[1] > MAX_PIXELS:
        raise UserError(f"image {name} claims {size[0]}x{size[1]} pixels, more than "
                        f"{MAX_PIXELS:,} (a decompression bomb?); remove it or shrink it")


def header_size(path) -> tuple[int, int]:
    """(width, height) from the image's header, nothing decoded; an unreadable file or one over
    `MAX_PIXELS` (Pillow's own bomb check included) is a one-line `UserError`."""
    try:
        with Image.open(path) as im:
            check_pixels(im.size, path)
            return im.size
    except Image.DecompressionBombError:
        raise UserError(f"image {path} claims more pixels than Pillow allows (a decompression "
                        f"bomb?); remove it or shrink it") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UserError(f"cannot read image {path}; replace or remove it") from None


def _open(path, mode: str | None, *, expect: tuple[int, int] | None = None) -> Image.Image:
    """The decoded image, converted to `mode` unless it is None; its size is checked against
    `MAX_PIXELS` and `expect` (W, H) from the header, before anything is decoded."""
    name = getattr(path, "name", path)
    try:
        with Image.open(path) as im:
            check_pixels(im.size, name)
            if expect is not None and im.size != expect:
                raise UserError(f"image {name} is {im.size[0]}x{im.size[1]}, expected "
                                f"{expect[0]}x{expect[1]}; this is not the expected dataset")
            return im.convert(mode) if mode not in (None, im.mode) else im.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as e:
        raise UserError(f"cannot decode image {getattr(path, 'name', path)} "
                        f"({type(e).__name__}); the file is "
                        f"corrupted, replace it or import the dataset again") from None


def shorter_side(size: tuple[int, int], target: int) -> tuple[int, int]:
    """(width, height) scaled so that the shorter side is `target` pixels."""
    w, h = size
    if w <= h:
        return target, round(h * target / w)
    return round(w * target / h), target


def read_rgb(path, *, size: tuple[int, int] | None = None,
             expect: tuple[int, int] | None = None) -> torch.Tensor:
    """A (3, H, W) uint8 tensor from a path or a file object; resized (bilinear) to
    `size` = (W, H) if given.

    `expect` = (W, H) checks the decoded size instead, for datasets of a fixed size.
    """
    im = _open(path, "RGB", expect=expect)
    if size is not None and im.size != size:
        im = im.resize(size, Image.BILINEAR)
    return pil_to_tensor(im)


def read_mask(path: Path, *, size: tuple[int, int] | None = None) -> torch.Tensor:
    """An (H, W) uint8 tensor of the label image's values; resized (nearest) to `size`."""
    im = _open(path, None)
    if im.mode not in ("L", "P"):
        raise UserError(f"label image {path} has mode {im.mode}, expected one 8-bit channel "
                        f"of class ids; this is not the expected dataset")
    if size is not None and im.size != size:
        im = im.resize(size, Image.NEAREST)
    return pil_to_tensor(im)[0]


def decode_all(paths: Sequence, read: Callable[..., torch.Tensor], *,
               workers: int | None = None) -> torch.Tensor:
    """`read` every path and stack the results (same shapes required).

    `workers` threads (default: the cores, up to 8); 1 decodes in this thread, which is faster
    for tiny images such as CIFAR's, where a thread hand-off costs more than a decode.
    """
    if not paths:
        raise UserError("no images found to decode; check the dataset layout")
    workers = workers or min(8, os.cpu_count() or 1)
    first = read(paths[0])
    out = torch.empty(len(paths), *first.shape, dtype=first.dtype)
    out[0] = first
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(read, paths[1:]) if workers > 1 else map(read, paths[1:])
        for i, tensor in enumerate(results, start=1):
            if tensor.shape != first.shape:
                raise UserError(f"image {paths[i]} has shape {tuple(tensor.shape)}, expected "
                                f"{tuple(first.shape)} like the others; resize it or remove it")
            out[i] = tensor
    return out


def transfer(src: Path, dst: Path, *, move: bool) -> None:
    """Move (when the source is ours to consume) or copy a file or folder to `dst`."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if move:
        os.replace(src, dst)
    elif src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)
