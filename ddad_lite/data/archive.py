"""Getting files onto disk safely: download with a checksum, verify, extract, swap into place.

Every step is all-or-nothing, so an interrupted or corrupted import never leaves a half-made
folder that a later run would mistake for data:

- `download(url, dest, sha256=..., md5=...)` streams into a temporary file beside `dest`,
  hashes while it writes, and renames it onto `dest` only when the digest matches.
- `extract_archive(archive, target)` unpacks a zip or a tar(.gz) into a temporary sibling of
  `target`, refusing members that would land outside it (absolute paths, `..`, links,
  devices), and renames the sibling onto `target` only when every member was read in full.
  Reading in full is what checks the archive's own integrity: zip checks each member's CRC-32,
  gzip the CRC-32 of the whole stream. Members are streamed to disk in 1 MiB blocks, never
  held whole in memory, and capped (`Caps`): at most `max_members` members and `max_bytes`
  bytes in all (and no more than the free space of the target's disk), and no member (nor the
  whole of a tar) expanding more than `max_ratio` times over its compressed size, which is
  how a zip bomb looks (zeros compress a thousandfold; images hardly at all).
- `replace_dir(src, dst)` swaps a finished folder onto `dst`, replacing an old one.

Any problem with the user's file or URL is a one-line `UserError`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import UserError
from ..files import CHUNK, file_digest, publish_mode

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


@dataclass(frozen=True)
class Caps:
    """Limits on what one extraction may write. Ratios count only above `ratio_floor` bytes,
    so small, very compressible files (text, masks) pass."""

    max_bytes: int = 64 << 30
    max_members: int = 1_000_000
    max_ratio: float = 200.0
    ratio_floor: int = 16 << 20


DEFAULT_CAPS = Caps()


class _Budget:
    """Counts the members and bytes an extraction writes and refuses once a cap is passed."""

    def __init__(self, archive: Path, into: Path, caps: Caps):
        self.archive, self.caps, self.members, self.bytes = archive, caps, 0, 0
        self.limit = min(caps.max_bytes, shutil.disk_usage(into).free)
        self.packed = max(archive.stat().st_size, 1)

    def refuse(self, what: str):
        raise UserError(f"refusing to extract {self.archive}: {what}; if the archive is "
                        f"trusted, extract it by hand and pass the folder with --from")

    def member(self, name: str, size: int, packed: int | None = None) -> None:
        """Count one member of `size` bytes (`packed` compressed) before writing it."""
        self.members += 1
        if self.members > self.caps.max_members:
            self.refuse(f"it holds more than {self.caps.max_members:,} members")
        self.add(size)
        if packed is not None and size > self.caps.ratio_floor and size > (
                self.caps.max_ratio * max(packed, 1)):
            self.refuse(f"member {name!r} expands {size / max(packed, 1):,.0f} times "
                        f"(a zip bomb?)")

    def add(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limit:
            where = ("the free space" if self.limit < self.caps.max_bytes
                     else f"the cap of {self.caps.max_bytes / 2**30:g} GiB")
            self.refuse(f"its members add up to more than {where} ({self.limit / 2**20:,.0f} "
                        f"MiB)")
        if self.bytes > self.caps.ratio_floor and self.bytes > self.caps.max_ratio * self.packed:
            self.refuse(f"it expands more than {self.caps.max_ratio:g} times (a bomb?)")


@dataclass(frozen=True)
class Remote:
    """A file to download: mirror URLs tried in order, its file name, and its digests."""

    urls: tuple
    filename: str
    sha256: str | None = None
    md5: str | None = None

    def fetch(self, folder: str | os.PathLike, *, progress: bool = True) -> Path:
        """Download into `folder` (kept and re-verified there on later calls); the file's path."""
        dest = Path(folder) / self.filename
        if dest.is_file():
            try:
                verify_file(dest, sha256=self.sha256, md5=self.md5)
                return dest
            except UserError:
                dest.unlink()
        errors = []
        for url in self.urls:
            try:
                return download(url, dest, sha256=self.sha256, md5=self.md5, progress=progress)
            except UserError as e:
                errors.append(str(e))
        raise UserError(errors[-1] if len(errors) == 1 else
                        f"all {len(errors)} mirrors failed for {self.filename} (last: "
                        f"{errors[-1]})")


def verify_file(path: str | os.PathLike, *, sha256: str | None = None,
                md5: str | None = None) -> None:
    """Raise `UserError` unless the file's digests equal the expected ones (those given)."""
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is None:
            continue
        actual = file_digest(path, algorithm)
        if actual != expected.lower():
            raise UserError(f"{algorithm} mismatch for {path}: expected {expected}, got {actual}; "
                            f"the file is corrupted or not the expected one, fetch it again")


def is_archive(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def download(url: str, dest: str | os.PathLike, *, sha256: str | None = None,
             md5: str | None = None, progress: bool = True) -> Path:
    """Fetch `url` to `dest`, verifying the digests given; `dest` appears only when they match.

    `url` may be `http(s)://` or `file://`. On a digest mismatch the download is deleted and a
    `UserError` says so; on a network failure the `UserError` suggests importing by hand.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    hashes = {name: hashlib.new(name) for name, want in (("sha256", sha256), ("md5", md5)) if want}
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            if progress:
                print(f"downloading {url}", file=sys.stderr)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                for h in hashes.values():
                    h.update(chunk)
                done += len(chunk)
                if progress and total:
                    print(f"\r  {done / 2**20:.1f} / {total / 2**20:.1f} MiB", end="",
                          file=sys.stderr)
            if progress and total:
                print(file=sys.stderr)
        for name, want in (("sha256", sha256), ("md5", md5)):
            if want and hashes[name].hexdigest() != want.lower():
                raise UserError(f"{name} mismatch for {url}: expected {want}, got "
                                f"{hashes[name].hexdigest()}; the download was deleted, try "
                                f"again or pass a verified copy with --from PATH")
        publish_mode(tmp)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise UserError(f"could not download {url} ({reason}); check the connection, or fetch "
                        f"it by hand and pass it with --from PATH") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def _safe_member(name: str, archive: Path) -> PurePosixPath:
    """The member's path relative to the target, or a `UserError` if it would escape it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise UserError(f"refusing to extract {archive}: member {name!r} points outside the "
                        f"target folder; use a trusted archive")
    return path


def _extract_zip(archive: Path, into: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:  # every cap is checked before anything is written
            if not info.is_dir():
                budget.member(info.filename, info.file_size, info.compress_size)
        for info in infos:
            rel = _safe_member(info.filename, archive)
            out = into / rel
            if info.is_dir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            mode = (info.external_attr >> 16) & 0o170000
            if mode and mode != 0o100000:  # a symlink or another special file
                raise UserError(f"refusing to extract {archive}: member {info.filename!r} is "
                                f"not a regular file; use an archive of plain files")
            out.parent.mkdir(parents=True, exist_ok=True)
            # Reading a member to its end checks its CRC-32 (BadZipFile on a mismatch); zipfile
            # stops at the announced size, so a member cannot write more than was counted.
            with zf.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)


def _extract_tar(archive: Path, into: Path, budget: _Budget) -> None:
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            rel = _safe_member(member.name, archive)
            out = into / rel
            if member.isdir():
                out.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                budget.member(member.name, member.size)  # the whole tar's ratio is checked
                out.parent.mkdir(parents=True, exist_ok=True)
                src = tf.extractfile(member)
                with src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
            else:
                raise UserError(f"refusing to extract {archive}: member {member.name!r} is a "
                                f"link or special file; use an archive of plain files")
        # Reading through to the end lets gzip check the CRC-32 of the whole stream.
        while tf.fileobj.read(CHUNK):
            pass


def extract_archive(archive: str | os.PathLike, target: str | os.PathLike, *,
                    caps: Caps = DEFAULT_CAPS) -> Path:
    """Unpack a zip or tar(.gz/.bz2/.xz) into `target` (which must not exist yet), atomically.

    The members go into a temporary sibling of `target` that is renamed onto it at the end;
    on any failure (a cap of `caps` passed included) the sibling is removed and a `UserError`
    names the archive.
    """
    archive, target = Path(archive), Path(target)
    if target.exists():
        raise UserError(f"cannot extract {archive}: {target} already exists; remove it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.part-"))
    try:
        budget = _Budget(archive, tmp, caps)
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp, budget)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, tmp, budget)
        else:
            raise UserError(f"{archive} is neither a zip nor a tar archive; pass a .zip, "
                            f".tar or .tar.gz file, or an extracted folder")
        publish_mode(tmp, folder=True)
        os.replace(tmp, target)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, zlib.error, EOFError,
            gzip.BadGzipFile, UnicodeDecodeError) as e:
        raise UserError(f"{archive} is corrupted or truncated ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else 'unreadable'}); fetch it "
                        f"again") from None
    except OSError as e:
        raise UserError(f"could not extract {archive} into {target.parent} ({e}); check the "
                        f"free space and permissions there") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def replace_dir(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Move the finished folder `src` onto `dst` (same file system), replacing any old `dst`."""
    src, dst = Path(src), Path(dst)
    old = None
    if dst.exists():
        old = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.old-"))
        os.replace(dst, old / dst.name)
    os.replace(src, dst)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return dst
