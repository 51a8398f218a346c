"""Download, verify and extract: the happy paths and every way a file can be bad."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from ddad_lite.data.archive import (
    Remote,
    download,
    extract_archive,
    replace_dir,
    verify_file,
)
from ddad_lite.errors import UserError
from ddad_lite.files import sha256_file

PAYLOAD = {"a/one.txt": b"first file\n" * 50, "a/b/two.bin": bytes(range(256)) * 8}


def make_zip(path: Path, files=PAYLOAD, compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def make_tar(path: Path, files=PAYLOAD, mode="w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def member_data_offset(path: Path, name: str) -> int:
    """Offset of the first data byte of a stored zip member."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    start = info.header_offset
    name_len = int.from_bytes(raw[start + 26:start + 28], "little")
    extra_len = int.from_bytes(raw[start + 28:start + 30], "little")
    return start + 30 + name_len + extra_len


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message and message
    return message


def test_sha256_file(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"hello" * 1000)
    assert sha256_file(p) == hashlib.sha256(b"hello" * 1000).hexdigest()
    verify_file(p, sha256=sha256_file(p), md5=hashlib.md5(b"hello" * 1000).hexdigest())
    with pytest.raises(UserError) as err:
        verify_file(p, sha256="0" * 64)
    assert "sha256 mismatch" in assert_one_line(err)


@pytest.mark.parametrize("maker,suffix", [(make_zip, ".zip"), (make_tar, ".tar.gz"),
                                          (lambda p: make_tar(p, mode="w"), ".tar")])
def test_extract_roundtrip(tmp_path, maker, suffix):
    archive = maker(tmp_path / f"x{suffix}")
    target = extract_archive(archive, tmp_path / "out")
    for name, data in PAYLOAD.items():
        assert (target / name).read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", f"x{suffix}"]


def test_extract_rejects_existing_target(tmp_path):
    archive = make_zip(tmp_path / "x.zip")
    (tmp_path / "out").mkdir()
    with pytest.raises(UserError, match="already exists"):
        extract_archive(archive, tmp_path / "out")


def test_zip_crc_mismatch_leaves_nothing(tmp_path):
    archive = make_zip(tmp_path / "x.zip")
    flip_byte(archive, member_data_offset(archive, "a/b/two.bin") + 100)
    with pytest.raises(UserError) as err:
        extract_archive(archive, tmp_path / "out")
    assert "corrupted" in assert_one_line(err) and "x.zip" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.zip"]


def test_targz_corruption_leaves_nothing(tmp_path):
    archive = make_tar(tmp_path / "x.tar.gz")
    flip_byte(archive, archive.stat().st_size // 2)
    with pytest.raises(UserError) as err:
        extract_archive(archive, tmp_path / "out")
    assert_one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.tar.gz"]


def test_truncated_zip(tmp_path):
    archive = make_zip(tmp_path / "x.zip")
    archive.write_bytes(archive.read_bytes()[:-40])
    with pytest.raises(UserError):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt"])
def test_path_escape_rejected(tmp_path, bad):
    for archive in (make_zip(tmp_path / "x.zip", {bad: b"x", "ok.txt": b"y"}),
                    make_tar(tmp_path / "x.tar.gz", {bad: b"x", "ok.txt": b"y"})):
        with pytest.raises(UserError, match="outside the target"):
            extract_archive(archive, tmp_path / "sub" / "out")
        assert not (tmp_path / "sub" / "out").exists()
        assert not (tmp_path / "evil.txt").exists()


def test_tar_symlink_rejected(tmp_path):
    archive = tmp_path / "x.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("link")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(UserError, match="link"):
        extract_archive(archive, tmp_path / "out")


def test_not_an_archive(tmp_path):
    p = tmp_path / "x.zip"
    p.write_bytes(b"not an archive at all")
    with pytest.raises(UserError, match="neither a zip nor a tar"):
        extract_archive(p, tmp_path / "out")


def test_download_file_url_verified(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload" * 999)
    digest = sha256_file(src)
    dest = download(src.as_uri(), tmp_path / "dl" / "got.bin", sha256=digest, progress=False)
    assert dest.read_bytes() == src.read_bytes()
    md5 = hashlib.md5(src.read_bytes()).hexdigest()
    assert download(src.as_uri(), tmp_path / "dl" / "md5.bin", md5=md5, progress=False).is_file()


def test_download_mismatch_deletes(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload" * 999)
    with pytest.raises(UserError) as err:
        download(src.as_uri(), tmp_path / "dl" / "got.bin", sha256="0" * 64, progress=False)
    assert "sha256 mismatch" in assert_one_line(err)
    assert list((tmp_path / "dl").iterdir()) == []


def test_download_failure_is_user_error(tmp_path):
    with pytest.raises(UserError) as err:
        download((tmp_path / "absent.bin").as_uri(), tmp_path / "dl" / "x", progress=False)
    assert "--from PATH" in assert_one_line(err)
    assert list((tmp_path / "dl").iterdir()) == []


def test_remote_tries_mirrors_and_reuses(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"mirror" * 100)
    remote = Remote(urls=((tmp_path / "absent").as_uri(), src.as_uri()), filename="f.bin",
                    sha256=sha256_file(src))
    path = remote.fetch(tmp_path / "dl", progress=False)
    assert path.read_bytes() == src.read_bytes()
    src.unlink()  # a verified copy on disk is reused without the network
    assert remote.fetch(tmp_path / "dl", progress=False) == path


def test_replace_dir(tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "f").write_text("new")
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "f").write_text("old")
    replace_dir(tmp_path / "new", tmp_path / "dst")
    assert (tmp_path / "dst" / "f").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dst"]
