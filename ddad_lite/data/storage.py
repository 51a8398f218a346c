"""Where a prepared dataset lives, and how a loader finds and reads it.

A prepared dataset is the folder `<root>/<name>/` holding its data and a `MANIFEST.json`
(source, sha256 of the source archive, split sizes, classes, date). The manifest is written
last, inside a staging folder that is swapped into place whole, so its presence means the
import finished. Loaders ask `require_prepared()` for the folder; when it is missing, the
error names the command that makes it.

Tensor files (decoded uint8 images, caches) are written atomically (`files.save_torch`), so a
crash never leaves a truncated cache, and read with `mmap=True` so opening one is instant.
Every file read here is checked for its type as well as its bytes: a manifest that is not a
JSON object, or a tensor file that is not a dict of equally long tensors, is a one-line
`UserError` that says to prepare the dataset again (and `prepare` can always do so: it treats
a damaged manifest as an incomplete import).

Leftovers: an import works in hidden folders beside the destination (`.NAME.work-*`, and
`.NAME.old-*` for the copy being replaced); `clean_leftovers` removes those a killed import
left (and half-made downloads, `.downloads/NAME/.*.part`), and first puts an old copy back if
the kill came between the two renames of the swap.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import torch

from ..errors import UserError
from ..files import load_torch, save_torch, writing_into
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
    """The dataset's `MANIFEST.json`, or a one-line `UserError` if it is not a JSON object with
    the fields an import writes (`splits`, `classes`)."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # ValueError: bad JSON or bad UTF-8
        return _bad_manifest(path, type(e).__name__)
    if not isinstance(manifest, dict):
        return _bad_manifest(path, f"a JSON {type(manifest).__name__}, not an object")
    if not isinstance(manifest.get("splits"), dict) or not isinstance(manifest.get("classes"),
                                                                      list):
        return _bad_manifest(path, "no splits or classes")
    return manifest


def _bad_manifest(path: Path, reason: str):
    name = path.parent.name
    raise UserError(f"dataset manifest {path} is damaged ({reason}); prepare the dataset again "
                    f"(python -m ddad_lite data prepare {name} [--from PATH])")


def load_tensors(path: str | os.PathLike, *, keys: tuple = ("images", "labels")) -> dict:
    """A prepared tensor file, memory-mapped (tensors and plain data only), holding a tensor
    under each of `keys`, all of one length; a missing, damaged or foreign one is a one-line
    `UserError` that says to prepare the dataset again."""
    hint = "prepare the dataset again"
    data = load_torch(path, what="dataset file", hint=hint, mmap=True)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), torch.Tensor)
                                             for k in keys):
        raise UserError(f"dataset file {path} is not a dataset tensor file (it should hold "
                        f"tensors {', '.join(keys)}); delete it and {hint}")
    if len({len(data[k]) if data[k].ndim else -1 for k in keys}) != 1:
        raise UserError(f"dataset file {path} holds {', '.join(keys)} of different lengths; "
                        f"delete it and {hint}")
    return data


def cached(path: str | os.PathLike, build: Callable[[], dict], *,
           keys: tuple = ("images", "labels")) -> dict:
    """The tensors in `path`, built by `build()` and saved there the first time (and again
    when the saved copy is damaged: a cache can always be rebuilt from the files)."""
    path = Path(path)
    if path.is_file():
        try:
            return load_tensors(path, keys=keys)
        except UserError:
            pass  # damaged: rebuild it below
    with writing_into(path.parent, what=f"the cache {path.name}"):
        save_torch(path, build())
    return load_tensors(path, keys=keys)


def has_leftovers(root: Path, name: str) -> bool:
    """Whether a killed import of `name` left something under `root` (see `clean_leftovers`)."""
    return (any(root.glob(f".{name}.work-*")) or any(root.glob(f".{name}.old-*"))
            or any((root / ".downloads" / name).glob(".*.part")))


def clean_leftovers(root: Path, name: str) -> list[Path]:
    """Undo what a killed import of `name` left under `root`; call it holding the import lock.

    If `root/name` is missing but a swap had moved the old copy aside (`.NAME.old-*/NAME`
    with its manifest), that copy is put back; then every `.NAME.work-*` and `.NAME.old-*`
    folder is removed. Returns the folders removed.
    """
    folder = root / name
    olds = sorted(root.glob(f".{name}.old-*"))
    if not folder.exists():
        for old in olds:
            if (old / name / MANIFEST).is_file():
                os.replace(old / name, folder)
                break
    removed = [p for p in (root / ".downloads" / name).glob(".*.part") if p.is_file()]
    for part in removed:  # downloads cut short
        part.unlink()
    for stale in sorted(root.glob(f".{name}.work-*")) + olds:
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
            removed.append(stale)
    return removed


def find_folder(src: Path, test: Callable[[Path], bool], *, max_depth: int = 3) -> Path | None:
    """The shallowest folder under `src` (itself included) for which `test(folder)` holds."""
    level = [src]
    for _ in range(max_depth + 1):
        for folder in level:
            if test(folder):
                return folder
        level = sorted(p for folder in level for p in folder.iterdir()
                       if p.is_dir() and not p.is_symlink()
                       and not p.name.startswith((".", "__MACOSX")))
    return None
