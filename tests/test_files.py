"""files.py: path-first writers, atomic replacement, one-line errors on reading back."""

import json
import os

import pytest
import torch

from ddad_lite.errors import UserError
from ddad_lite.files import atomic_write, load_torch, save_json, save_text, save_torch, sha256_file


def test_writers_take_the_path_first_and_make_the_folder(tmp_path):
    save_json(tmp_path / "a" / "x.json", {"t": (1, 2), "p": tmp_path, "v": torch.tensor([3])})
    assert json.loads((tmp_path / "a" / "x.json").read_text()) == {
        "t": [1, 2], "p": str(tmp_path), "v": [3]}
    save_text(tmp_path / "b" / "x.md", "héllo\n")
    assert (tmp_path / "b" / "x.md").read_text(encoding="utf-8") == "héllo\n"
    save_torch(tmp_path / "c" / "x.pt", {"w": torch.arange(4)})
    assert torch.equal(load_torch(tmp_path / "c" / "x.pt")["w"], torch.arange(4))
    assert torch.equal(load_torch(tmp_path / "c" / "x.pt", mmap=True)["w"], torch.arange(4))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "c" / "x.pt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "metrics.json"
    save_json(path, {"good": 1})
    before = path.read_bytes()

    def half_write(tmp):
        with open(tmp, "w") as f:
            f.write('{"trunc')
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write(path, half_write)
    with pytest.raises(TypeError, match="cannot write object to JSON"):
        save_json(path, {"bad": object()})  # fails inside json.dump, half-way through
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_load_torch_says_what_is_wrong_in_one_line(tmp_path):
    with pytest.raises(UserError, match=r"^snapshots file .*x.pt does not exist; run it$"):
        load_torch(tmp_path / "x.pt", what="snapshots file", hint="run it")
    (tmp_path / "x.pt").write_bytes(b"not a torch file")
    with pytest.raises(UserError, match="corrupted or not a torch file") as err:
        load_torch(tmp_path / "x.pt")
    assert "\n" not in str(err.value)
    save_torch(tmp_path / "y.pt", {"w": torch.ones(1000)})
    (tmp_path / "z.pt").write_bytes((tmp_path / "y.pt").read_bytes()[:300])  # truncated
    with pytest.raises(UserError, match="z.pt is corrupted.*delete it and prepare again"):
        load_torch(tmp_path / "z.pt", hint="prepare again")


def test_sha256_file(tmp_path):
    import hashlib

    (tmp_path / "f").write_bytes(b"abc" * 100_000)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(b"abc" * 100_000).hexdigest()
