"""Checkpoints and other run files, written atomically and read back with clear errors.

Every file is first written to a temporary sibling and then renamed into place (`os.replace`
is atomic on one file system), so an interrupted write never leaves a half-written file where
a good one stood.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

from .errors import UserError

CHECKPOINT_FORMAT = "ddad-lite/checkpoint-v1"


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call `write(tmp_path)` then rename the temporary file onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_json(path, obj) -> None:
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, default=_json_default)
            f.write("\n")

    atomic_write(path, write)


def save_torch(path, obj) -> None:
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def load_torch(path, *, what: str = "checkpoint", hint: str = "") -> dict:
    """torch.load with a one-line UserError for a missing, truncated or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} {path} does not exist{'; ' + hint if hint else ''}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged file
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise UserError(f"{what} {path} is corrupted or not a torch file ({reason}); "
                        f"delete it{' and ' + hint if hint else ''}") from None


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _json_default(o):
    if isinstance(o, (tuple, set)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, torch.Tensor):
        return o.tolist()
    raise TypeError(f"cannot write {type(o).__name__} to JSON")
