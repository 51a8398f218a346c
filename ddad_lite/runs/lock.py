"""One writer per run folder: a run folder is locked while a process writes it.

    with run_folder_lock(out):
        ...  # train, checkpoint, write metrics

On entry the folder is made (a path that names a file, lies under a file or cannot be written
is refused in one line, before any work) and `out/.lock` is taken with `filelock.FileLock`,
without waiting: a second process that asks for the same folder is refused in one line naming
the holder's pid (which the holder writes into the lock file). The OS drops the lock when its
process dies, so the `.lock` file a killed run leaves behind is simply taken over by the next
one (a stale lock never blocks). On exit the lock file is removed, and the folder too if this
lock made it and nothing was written there. The lock is re-entrant within one process
(`run_or_load` holds it around `run_distillation`).
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import UserError

LOCK_NAME = ".lock"
_HELD: dict[Path, int] = {}  # folders this process holds, with the depth of nesting


@contextmanager
def run_folder_lock(out):
    """Hold `out/.lock` for the duration of the block (see the module docstring)."""
    out = Path(out)
    made = make_run_folder(out)
    key = out.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield out
        finally:
            _HELD[key] -= 1
        return
    try:
        lock = _acquire(out)
    except BaseException:
        if made:
            _remove_if_empty(out)
        raise
    _HELD[key] = 1
    try:
        yield out
    finally:
        del _HELD[key]
        _release(out, lock, remove_folder=made)


def make_run_folder(out: Path) -> bool:
    """Make the run folder (and its parents) with one-line errors; True if it was made now."""
    if out.is_dir():
        return False
    if out.exists():
        raise UserError(f"--out {out} is a file, not a folder; choose a folder for the run")
    try:
        out.mkdir(parents=True)
    except FileExistsError:
        if out.is_dir():  # made by another process just now
            return False
        raise UserError(f"--out {out} is a file, not a folder; choose a folder for the "
                        "run") from None
    except NotADirectoryError:
        under = next((p for p in out.parents if p.exists() and not p.is_dir()), out.parent)
        raise UserError(f"--out {out} lies under {under}, which is a file; choose a folder "
                        "for the run") from None
    except OSError as e:
        raise _not_writable(out, e) from None
    return True


def _write_pid(fd: int) -> None:
    """What the refusal of a second writer names: the holder's pid, in the lock file."""
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())


def _acquire(out: Path) -> FileLock:
    lock = FileLock(out / LOCK_NAME, on_acquired=_write_pid)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        raise _busy(out, _holder(out / LOCK_NAME)) from None
    except OSError as e:
        raise _not_writable(out, e) from None
    return lock


def _release(out: Path, lock: FileLock, *, remove_folder: bool) -> None:
    try:
        os.remove(out / LOCK_NAME)  # still held: a waiter on this inode tries the path again
    except FileNotFoundError:
        pass
    lock.release()
    if remove_folder:
        _remove_if_empty(out)


def _remove_if_empty(out: Path) -> None:
    try:
        out.rmdir()  # only if empty: nothing was written
    except OSError:
        pass


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def _busy(out: Path, pid: str) -> UserError:
    return UserError(f"run folder {out} is being written by another process (pid {pid}); "
                     "wait for it to finish, or choose another --out")


def _not_writable(out: Path, e: OSError) -> UserError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return UserError(f"no space left on the device for the run folder {out}; free some "
                         "space and run the command again")
    return UserError(f"cannot write into the run folder {out} ({e.strerror}); choose a "
                     "folder you can write to")
