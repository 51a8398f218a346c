"""Where a prepared dataset lives, and how a loader finds and reads it.

A prepared dataset is the folder `<root>/<name>/` holding its data and a `MANIFEST.json`
(source, sha256 of the source archive, split sizes, classes, date). The manifest is written
last, inside a staging folder that is swapped into place whole, so its presence means the
import finished. Loaders ask `require_prepared()` for the folder; when it is missing, the
error names the command that makes it.

Tensor files (decoded uint8 images, caches) are written atomically (`files.save_torch`), so a
crash never leaves a truncated cache, and read with `mmap=True` so opening one is instant.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from ..errors import UserError
from ..files import load_torch, save_torch
from ..paths import resolve_data_root

MANIFEST = "MANIFEST.json"


def prepare_command(name: str, root: str | os.PathLike | None = None) -> str:
    """The command line that prepares `name` under `root`."""
    flag = ""
    if root is not None and Path(root) != resolve_data_root():
        flag = f" --data-root {root}"
    return f"python -m ddad_lite data prepare {name}{flag} [--from PATH]"


def require_prepared(name: str, root: str | os.PathLike | None) -> Path:
    """The folder of the prepared dataset `name`, or a `UserError` that says how to make it."""
    folder = resolve_data_root(root) / name
    if not (folder / MANIFEST).is_file():
        raise UserError(f"dataset {name!r} not found under {folder}; run: "
                        f"{prepare_command(name, root)}")
    return folder


def read_manifest(folder: Path) -> dict:
    with open(folder / MANIFEST) as f:
        return json.load(f)


def load_tensors(path: str | os.PathLike) -> dict:
    """A prepared tensor file, memory-mapped (tensors and plain data only); a missing or
    damaged one is a one-line `UserError` that says to prepare the dataset again."""
    return load_torch(path, what="dataset file", hint="prepare the dataset again", mmap=True)


def cached(path: str | os.PathLike, build: Callable[[], dict]) -> dict:
    """The tensors in `path`, built by `build()` and saved there the first time."""
    path = Path(path)
    if not path.is_file():
        save_torch(path, build())
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
