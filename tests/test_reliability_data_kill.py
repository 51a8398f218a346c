"""kill -9 during teacher training and data import, and two processes on one teacher cache.

Each killed process is a child that counts its file-system and training events (renames,
folder creation and removal, torch.save, optimiser steps) and sends itself SIGKILL just before
the N-th, N drawn from a seeded generator over the events an uninterrupted run makes. The
same command run again must then give what an uninterrupted run gives (for a teacher, the
very same file bytes), with no stray file left. Moments, not seconds: the kill lands at the
same place on any machine.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_data_real import cifar_folder_files, write_zip

from ddad_lite.data.prepare import prepare_dataset
from ddad_lite.files import sha256_file

PROJECT = Path(__file__).resolve().parents[1]
RECIPE = {"dataset": "shapes", "model": "convnet_student", "epochs": 1, "train_size": 256,
          "batch_size": 64}
KILLS = 3  # seeded moments per job

CHILD = r"""
import json, os, shutil, signal, sys, time
import torch
from ddad_lite.config import TeacherConfig
from ddad_lite.data.prepare import prepare_dataset
from ddad_lite.teacher import load_or_train_teacher

args = json.loads(sys.argv[1])
torch.set_num_threads(1)
count = 0

def tick():
    global count
    count += 1
    if count == args["kill_at"]:
        os.kill(os.getpid(), signal.SIGKILL)

def counted(owner, name):
    real = getattr(owner, name)
    def wrapper(*a, **k):
        tick()
        if name == "step" and args.get("step_delay"):
            time.sleep(args["step_delay"])
        return real(*a, **k)
    setattr(owner, name, wrapper)

for owner, name in ((os, "replace"), (os, "rename"), (os, "mkdir"), (os, "unlink"),
                    (shutil, "rmtree"), (torch, "save"), (torch.optim.SGD, "step")):
    counted(owner, name)

if args["job"] == "teacher":
    _, record = load_or_train_teacher(TeacherConfig(**args["recipe"]), cache_dir=args["cache"],
                                      progress=False)
    print(json.dumps({"events": count, "sha256": record["sha256"],
                      "trained_now": record["trained_now"]}))
else:
    manifest = prepare_dataset("cifar10", args["source"], args["root"], progress=False)
    print(json.dumps({"events": count, "source_sha256": manifest["source_sha256"]}))
"""


def child(job: str, *, kill_at: int = 0, wait: bool = True, **kwargs):
    """Run the child; its JSON line, or None when it was killed (or a Popen if not `wait`)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-c", CHILD, json.dumps({"job": job, "kill_at": kill_at,
                                                        **kwargs})]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=PROJECT)
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT)
    if done.returncode == -signal.SIGKILL:
        return None
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def kill_moments(events: int, seed: int) -> list[int]:
    return sorted(random.Random(seed).sample(range(1, events + 1), min(KILLS, events)))


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if not p.name.endswith(".lock"))


def test_kill_during_teacher_training_then_again(tmp_path):
    reference = child("teacher", recipe=RECIPE, cache=str(tmp_path / "reference"))
    assert reference["events"] > 4
    name = next(p.name for p in (tmp_path / "reference").glob("*.pt"))
    for i, moment in enumerate(kill_moments(reference["events"], seed=18)):
        cache = tmp_path / f"killed{i}"
        assert child("teacher", recipe=RECIPE, cache=str(cache), kill_at=moment) is None
        again = child("teacher", recipe=RECIPE, cache=str(cache))
        manifest = json.loads((cache / "MANIFEST.json").read_text())
        assert again["sha256"] == manifest[name]["sha256"] == sha256_file(cache / name) == (
            reference["sha256"]), f"kill at event {moment}"
        assert files_in(cache) == ["MANIFEST.json", name], f"kill at event {moment}"


def test_kill_during_data_reimport_then_again(tmp_path):
    first = write_zip(tmp_path / "first.zip", cifar_folder_files())
    second = write_zip(tmp_path / "second.zip", cifar_folder_files(n_train=3))
    reference_root = tmp_path / "reference"
    prepare_dataset("cifar10", str(second), reference_root, progress=False)
    expected = torch.load(reference_root / "cifar10" / "train.pt", weights_only=True)

    root = tmp_path / "data"
    prepare_dataset("cifar10", str(first), root, progress=False)
    prepare_dataset("cifar10", str(first), tmp_path / "count", progress=False)
    events = child("data", source=str(second), root=str(tmp_path / "count"))["events"]
    for moment in kill_moments(events, seed=18):
        prepare_dataset("cifar10", str(first), root, progress=False)  # the old copy again
        assert child("data", source=str(second), root=str(root), kill_at=moment) is None
        # Never both copies lost: the old or the new one stands complete, in place or aside.
        complete = list(root.glob("cifar10/MANIFEST.json")) + list(
            root.glob(".cifar10.old-*/cifar10/MANIFEST.json"))
        assert complete, f"kill at event {moment} lost both copies"
        again = child("data", source=str(second), root=str(root))
        assert again["source_sha256"] == sha256_file(second)
        got = torch.load(root / "cifar10" / "train.pt", weights_only=True)
        assert torch.equal(got["images"], expected["images"]), f"kill at event {moment}"
        assert torch.equal(got["labels"], expected["labels"])
        assert sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock")) == [
            "cifar10"], f"kill at event {moment}"


@pytest.mark.parametrize("delay", [0.5])
def test_two_processes_training_one_teacher(tmp_path, delay):
    """The second waits for the first one's lock and loads its teacher; both records name the
    sha256 of the one file on disk."""
    cache = str(tmp_path / "cache")
    first = child("teacher", recipe=RECIPE, cache=cache, wait=False, step_delay=delay)
    second = child("teacher", recipe=RECIPE, cache=cache, wait=False, step_delay=delay)
    records = []
    for process in (first, second):
        out, err = process.communicate()
        assert process.returncode == 0, err
        records.append(json.loads(out.strip().splitlines()[-1]))
    (path,) = Path(cache).glob("*.pt")
    manifest = json.loads((Path(cache) / "MANIFEST.json").read_text())
    assert {r["sha256"] for r in records} == {sha256_file(path), manifest[path.name]["sha256"]}
    assert sorted(r["trained_now"] for r in records) == [False, True]
