"""Where a prepared dataset lives and how its files are written.

A prepared dataset is the folder `<root>/<name>/` holding its data and a `MANIFEST.json`
(source, sha256 of the source archive, split sizes, classes, date). The manifest is written
last, inside a staging folder that is swapped into place whole, so its presence means the
import finished. Loaders ask `require_prepared()` for the folder; when it is missing, the
error names the command that makes it.

Tensor files (decoded uint8 images, caches) are written to a temporary file and renamed, so a
crash never leaves a truncated cache, and read with `mmap=True` so opening one is instant.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import torch

from ..errors import UserError
from .archive import publish_mode

MANIFEST = "MANIFEST.json"


def resolve_root(root: str | os.PathLike | None) -> Path:
    """The data root: `root` if given, else `$DDAD_DATA`, else `./data`."""
    from . import default_data_root

    return Path(root) if root is not None else default_data_root()


def prepare_command(name: str, root: str | os.PathLike | None = None) -> str:
    """The command line that prepares `name` under `root`."""
    from . import default_data_root

    flag = ""
    if root is not None and Path(root) != default_data_root():
        flag = f" --data-root {root}"
    return f"python -m ddad_lite data prepare {name}{flag} [--from PATH]"


def require_prepared(name: str, root: str | os.PathLike | None) -> Path:
    """The folder of the prepared dataset `name`, or a `UserError` that says how to make it."""
    folder = resolve_root(root) / name
    if not (folder / MANIFEST).is_file():
        raise UserError(f"dataset {name!r} not found under {folder}; run: "
                        f"{prepare_command(name, root)}")
    return folder


def read_manifest(folder: Path) -> dict:
    with open(folder / MANIFEST) as f:
        return json.load(f)


def write_json(obj, path: str | os.PathLike) -> None:
    """Write `obj` as indented JSON, atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
        publish_mode(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_tensors(obj: dict, path: str | os.PathLike) -> None:
    """`torch.save` to a temporary file beside `path`, then rename it onto `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        publish_mode(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_tensors(path: str | os.PathLike) -> dict:
    """Load a tensor file written by `save_tensors` (memory-mapped, tensors and plain data only)."""
    try:
        return torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception as e:  # a truncated or foreign file
        raise UserError(f"cannot read {path} ({type(e).__name__}); delete it and prepare the "
                        f"dataset again") from None


def cached(path: str | os.PathLike, build: Callable[[], dict]) -> dict:
    """The tensors in `path`, built by `build()` and saved there the first time."""
    path = Path(path)
    if not path.is_file():
        save_tensors(build(), path)
    return load_tensors(path)


def find_folder(src: Path, test: Callable[[Path], bool], *, max_depth: int = 3) -> Path | None:
    """The shallowest folder under `src` (itself included) for which `test(folder)` holds."""
    level = [src]
    for _ in range(max_depth + 1):
        for folder in level:
            if test(folder):
                return folder
        level = sorted(p for folder in level for p in folder.iterdir()
                       if p.is_dir() and not p.name.startswith((".", "__MACOSX")))
    return None
