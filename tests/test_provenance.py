"""provenance.py: what every result records about where it came from."""

import re

import torch

from ddad_lite.provenance import git_commit, provenance


def test_provenance_names_the_code_the_device_and_the_versions():
    p = provenance("cpu")
    assert set(p) == {"git_commit", "device", "device_name", "python_version", "python",
                      "torch_version", "torchvision_version", "platform", "date",
                      "torch_threads", "cpu_capability"}
    assert p["device"] == "cpu" and p["device_name"]
    assert p["torch_threads"] == torch.get_num_threads() >= 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", p["date"])
    commit = git_commit()
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", commit)


def test_an_explicit_commit_names_a_copy_of_the_tree(monkeypatch):
    """A tree copied to another machine may carry a stale .git: DDAD_GIT_COMMIT wins."""
    monkeypatch.setenv("DDAD_GIT_COMMIT", "a577db6019f7")
    assert git_commit() == "a577db6019f7"
    monkeypatch.delenv("DDAD_GIT_COMMIT")
    assert git_commit() != "a577db6019f7"
