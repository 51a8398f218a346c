"""Files, written atomically and read back with one-line errors.

Every writer takes the path first, then what to write (`save_json(path, obj)`). A file is
first written to a temporary sibling and then renamed into place (`os.replace` is atomic on
one file system), so an interrupted write never leaves a half-written file where a good one
stood, and no temporary file is left behind when the writer fails.

    save_json(path, obj)        indented JSON (tuples, paths and tensors become lists/strings)
    save_text(path, text)       a text file (Markdown, HTML); save_bytes(path, data) raw bytes
    save_torch(path, obj)       torch.save
    load_torch(path, ...)       torch.load on the CPU, tensors and plain data only
                                (`mmap=True` maps a large tensor file instead of reading it)
    load_json(path, ...)        json.load with a one-line error for a missing or garbage file
    sha256_file(path)           the file's sha256, as lowercase hex
    hold_lock(path)             filelock's exclusive lock (`with`), dropped when the process dies
    writing_into(folder, what=) an OSError while writing (full disk, read-only) -> one line
    remove_stale_temporaries    the `.tmp` files a killed writer left in a folder

JSON is written strictly: a non-finite float (NaN, inf) becomes null, never a bare `NaN` token
that other JSON readers refuse (`finite_json`). A full disk or a folder the user cannot write
ends a writer in a one-line UserError (the temporary file removed, the old file intact), and
`WRITTEN` lists the files this process has published, so an interrupted command can say
truthfully what it left behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import torch
from filelock import FileLock, Timeout

from .errors import UserError

CHUNK = 1 << 20

# Every file this process has published through `atomic_write`, in order.
WRITTEN: list[Path] = []

FULL_DISK = (errno.ENOSPC, errno.EDQUOT)
NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call `write(tmp_path)`, then rename the temporary file onto `path` (parents are made)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise write_error(path, e) or e from None
    os.close(fd)
    try:
        write(tmp)
        publish_mode(tmp)
        os.replace(tmp, path)
    except OSError as e:
        error = write_error(path, e)
        if error is None:
            raise
        raise error from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    WRITTEN.append(path)


def write_error(path: Path, e: OSError) -> UserError | None:
    """The one-line UserError for an OSError met while writing `path`, or None for one that is
    not the user's to fix (a bug or a failing device keeps its traceback)."""
    if e.errno in FULL_DISK:
        return UserError(f"no space left on the device while writing {path} (nothing "
                         "half-written was kept); free some space and run the command again")
    if e.errno in NOT_ALLOWED:
        return UserError(f"cannot write {path} ({e.strerror}); choose a folder you can write "
                         "to")
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        return UserError(f"cannot make the folder of {path}: {e.filename} is a file; choose "
                         "another path")
    return None


def publish_mode(path, *, folder: bool = False) -> None:
    """Give what `tempfile` made (0600 files, 0700 folders) the usual permissions."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if folder else 0o666) & ~umask)


def save_json(path, obj) -> None:
    """`obj` as indented JSON, atomically."""
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(finite_json(obj), f, indent=2, default=_json_default, allow_nan=False)
            f.write("\n")

    atomic_write(path, write)


def save_text(path, text: str) -> None:
    """`text` (UTF-8), atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def save_bytes(path, data: bytes) -> None:
    """`data` as the file's bytes, atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def save_torch(path, obj) -> None:
    """`torch.save(obj)`, atomically."""
    def write(tmp):
        # Through a Python file, so a full disk is an OSError (ENOSPC), not torch's
        # "unexpected pos" RuntimeError.
        with open(tmp, "wb") as f:
            torch.save(obj, f)

    atomic_write(path, write)


def load_torch(path, *, what: str = "checkpoint", hint: str = "", mmap: bool = False):
    """torch.load (CPU, weights only) with a one-line UserError for a missing, truncated or
    foreign file: "`what` `path` ...; `hint`"."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} {path} does not exist{'; ' + hint if hint else ''}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as e:  # torch raises many kinds for a damaged file
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise UserError(f"{what} {path} is corrupted or not a torch file ({reason}); "
                        f"delete it{' and ' + hint if hint else ''}") from None


def load_json(path, *, what: str = "file", hint: str = "", expect: type | None = dict):
    """json.load with a one-line UserError for a missing, unreadable or garbage file, or one
    that holds another kind of value than `expect` (a dict by default)."""
    path = Path(path)
    tail = f"; {hint}" if hint else ""
    if not path.is_file():
        raise UserError(f"{what} {path} does not exist{tail}")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        reason = str(e).splitlines()[0][:120]
        raise UserError(f"{what} {path} is not valid JSON ({reason}){tail}") from None
    if expect is not None and not isinstance(value, expect):
        raise UserError(f"{what} {path} holds a {type(value).__name__}, not a "
                        f"{expect.__name__}{tail}")
    return value


def finite_json(obj):
    """`obj` with every non-finite float (NaN, inf) replaced by None: strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    return obj


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file, as lowercase hex."""
    return file_digest(path, "sha256")


def _json_default(o):
    if isinstance(o, (tuple, set)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, torch.Tensor):
        return finite_json(o.tolist())
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


# ---------------------------------------------------------------- added for reliability (issue 18)

@contextlib.contextmanager
def hold_lock(path: str | os.PathLike, *, waiting: str = ""):
    """Hold `filelock.FileLock(path)` (an exclusive OS lock on the file, made if missing) for the
    `with` block; the lock file is removed when the block ends, so a finished command leaves
    nothing behind.

    Another process asking for the same lock waits until this one leaves the block or dies (the
    OS drops a dead process's lock, so a kill -9 leaves at most a lock file that the next holder
    reuses). Removing the file while still holding it is safe: filelock refuses a lock on an
    inode that no longer has a name and tries the path again. `waiting`, if given, is printed
    to stderr once when the lock is busy. A folder where the lock file cannot be made is a
    one-line `UserError`.
    """
    path = Path(path)
    lock = FileLock(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            if waiting:
                print(waiting, file=sys.stderr, flush=True)
            lock.acquire()
    except OSError as e:
        raise UserError(f"cannot write in {path.parent} ({e.strerror or e}); make it "
                        f"writable or choose another folder") from None
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still holding the lock: a waiter on this inode tries the path again
        lock.release()


WRITE_FAILURES = {errno.ENOSPC: "free some space there", errno.EDQUOT: "free some space there",
                  errno.EROFS: "the file system is read-only; choose another folder",
                  errno.EACCES: "make it writable or choose another folder",
                  errno.EPERM: "make it writable or choose another folder"}


@contextlib.contextmanager
def writing_into(folder: str | os.PathLike, *, what: str):
    """Turn an `OSError` raised while writing `what` into `folder` into a one-line `UserError`
    that names the folder, the reason (a full disk, a read-only folder, ...) and the fix."""
    try:
        yield
    except UserError:
        raise
    except OSError as e:
        fix = WRITE_FAILURES.get(e.errno, "check the free space and permissions there")
        reason = e.strerror or (str(e).splitlines() or [type(e).__name__])[0]
        raise UserError(f"could not write {what} in {folder} ({reason}); {fix}") from None


def remove_stale_temporaries(folder: str | os.PathLike, *, pattern: str = ".*.tmp") -> list[Path]:
    """Delete the temporary files `atomic_write` leaves in `folder` when its process is killed
    (`.NAME.XXXX.tmp`); call it only while holding the folder's lock. Returns what was removed."""
    removed = []
    for stale in Path(folder).glob(pattern):
        if stale.is_file() and not stale.is_symlink():
            with contextlib.suppress(OSError):
                stale.unlink()
                removed.append(stale)
    return removed
