"""The teacher cache's manifest and files: `MANIFEST.json`, read checked and written locked.

`MANIFEST.json` maps each teacher file of the cache to `{"sha256", "accuracy", "dataset",
"model", "train_seconds", "recipe"}`. It is read with its shape checked (an object of objects
holding a sha256; anything else is a one-line `UserError` that says to delete it) and written
read-change-write under its own lock (`.MANIFEST.json.lock`), so that processes adding
different teachers at once keep each other's entries. Teacher files are written through an
open file (`save_reproducibly`): `torch.save` given a file name stores that name (here a
random temporary one) inside the archive, so equal states would give unequal bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from ..errors import UserError
from ..files import hold_lock, remove_stale_temporaries, save_json

MANIFEST = "MANIFEST.json"


def read_manifest(path: Path) -> dict:
    """The cache's manifest, `{file name: {"sha256": hex, ...}}`, or a one-line `UserError`."""
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return _bad_manifest(path, f"not valid JSON: {type(e).__name__}")
    if not isinstance(manifest, dict):
        return _bad_manifest(path, f"a JSON {type(manifest).__name__}, not an object")
    for name, entry in manifest.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            return _bad_manifest(path, f"its entry {name!r} has no sha256")
    return manifest


def _bad_manifest(path: Path, reason: str):
    raise UserError(f"teacher manifest {path} is damaged ({reason}); delete it (each teacher "
                    f"beside it is then checked against its own weights digest, and retrained "
                    f"if it fails)")


def record_in_manifest(cache: Path, name: str, entry: dict) -> None:
    """Set the manifest's entry `name`, under the manifest's own lock (read, change, write)."""
    with hold_lock(cache / f".{MANIFEST}.lock"):
        remove_stale_temporaries(cache, pattern=f".{MANIFEST}.*.tmp")  # a killed write's
        manifest = read_manifest(cache / MANIFEST)
        manifest[name] = entry
        save_json(cache / MANIFEST, manifest)


def save_reproducibly(state: dict, tmp: str) -> None:
    # torch.save given a file name stores that name (here a random temporary one) inside the
    # archive; given an open file it stores a fixed one, so equal states give equal bytes.
    with open(tmp, "wb") as f:
        torch.save(state, f)


def require_writable(cache: Path) -> None:
    """A one-line `UserError`, before any training, if nothing can be written in `cache`."""
    if not os.access(cache, os.W_OK | os.X_OK):
        raise UserError(f"the teacher cache {cache} is not writable; make it writable or "
                        f"choose another cache (--cache-dir or $DDAD_CACHE)")
