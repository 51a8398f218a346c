"""Fault injection for runs (issue 18, docs/reliability.md): kill -9 at seeded random moments
of distillation and of checkpoint writing, then --resume; and a seeded random fuzz of the
command line.

A killed run is a child process that sends itself SIGKILL at a point chosen by a seeded
random draw (an iteration, or the middle of a checkpoint write): no handler, `finally` or
atexit runs, as with `kill -9`. The run is then resumed from what is on disk, and its final
metrics must equal those of an uninterrupted run, with no stray file left in the folder.
"""

import json
import random
import subprocess
import sys

import pytest
import torch
from conftest import PROJECT_ROOT
from test_reliability_run import (  # noqa: F401 (fixtures)
    TINY_ARGS,
    cli,
    cli_cache,
    random_teacher,
)

from ddad_lite.runs.run import RUN_FILES

# Entries of metrics.json that measure the machine, not the run.
MACHINE = {"wall_seconds", "train_seconds", "images_per_second", "date", "git_commit",
           "git_dirty", "hostname", "platform", "python_version", "torch_version", "device",
           "cpu", "gpu", "threads"}

ARGS = ["distill", "--profile", "smoke", "--no-progress", *TINY_ARGS,
        "--set", "checkpoint_every=1"]

# The child: patch one moment of the run to SIGKILL the process, then run the CLI.
CHILD = """
import os, signal, sys
import torch
torch.set_num_threads(int(sys.argv[1]))
where, n = sys.argv[2], int(sys.argv[3])
import ddad_lite.files as files
from ddad_lite.engine import Distiller

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if where == "iteration":  # inside iteration n, after its student steps
    real = Distiller.update
    def update(self, losses, optimizers):
        if self.step == n - 1 and optimizers is self.opt_G:
            die()
        return real(self, losses, optimizers)
    Distiller.update = update
else:  # inside the n-th checkpoint write: half the bytes out, or all before the rename
    real_save, real_replace, calls = files.torch.save, files.os.replace, [0]
    def save(obj, f):
        calls[0] += 1
        if where == "checkpoint-half" and calls[0] == n:
            import io
            buffer = io.BytesIO()
            real_save(obj, buffer)
            f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
            f.flush()
            die()
        return real_save(obj, f)
    def replace(src, dst):
        if where == "checkpoint-rename" and str(dst).endswith("checkpoint.pt"):
            calls[0] += 1
            if calls[0] == n:
                die()
        return real_replace(src, dst)
    files.torch.save, files.os.replace = save, replace
from ddad_lite.cli.main import main
sys.exit(main(sys.argv[4:]))
"""


def comparable(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in MACHINE}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, cli_cache):  # noqa: F811
    """The run's metrics and history when nothing kills it."""
    out = tmp_path_factory.mktemp("whole") / "run"
    assert main_ok(*ARGS, "--out", str(out), "--cache-dir", str(cli_cache))
    return (json.loads((out / "metrics.json").read_text()),
            json.loads((out / "history.json").read_text()))


def main_ok(*argv) -> bool:
    from ddad_lite.cli.main import main

    return main(list(argv)) == 0


@pytest.mark.parametrize("where,seed", [("iteration", 0), ("iteration", 1),
                                        ("checkpoint-half", 2), ("checkpoint-rename", 3)])
def test_a_run_killed_at_a_random_moment_resumes_to_the_same_result(
        tmp_path, cli_cache, uninterrupted, capsys, where, seed):  # noqa: F811
    iterations = int(uninterrupted[0]["iterations"])
    n = random.Random(seed).randint(1, iterations)  # which iteration, or which write
    out = tmp_path / "run"
    argv = [*ARGS, "--out", str(out), "--cache-dir", str(cli_cache)]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(torch.get_num_threads()), where, str(n), *argv],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin",
             "OMP_NUM_THREADS": str(torch.get_num_threads())})
    assert child.returncode == -9, child.stderr  # killed, not finished
    assert not (out / "metrics.json").exists()
    resume = ["--resume"] if (out / "checkpoint.pt").exists() else []
    code, _, err = cli(capsys, *argv, *resume)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)  # no stray file
    metrics, history = uninterrupted
    assert comparable(json.loads((out / "metrics.json").read_text())) == comparable(metrics)
    assert json.loads((out / "history.json").read_text()) == history


# ---- a seeded random fuzz of the command line ----------------------------------------------

VALUES = ["0", "1", "2", "-1", "-5", "3.5", "1e8", "100000000", "nan", "inf", "-inf", "",
          "abc", "None", "true", "0x10", " 2", "9" * 30]
FLAGS = ["--iterations", "--batch-size", "--student-steps", "--eval-every",
         "--checkpoint-every", "--checkpoint-minutes", "--seed", "--alpha", "--beta",
         "--lr-student", "--lr-generator", "--discrepancy", "--device", "--profile",
         "--dataset", "--method", "--seeds"]
SETS = ["iterations", "batch_size", "nz", "ngf", "snapshot_size", "eval_size", "val_size",
        "lr_milestones", "lr_gamma", "student_optimizer", "amp", "bn", "teacher", "bogus",
        "checkpoint_minutes", "log_every", "=", "novalue"]


class ReachedWork(Exception):
    """Raised where a run would start its work: the settings were all accepted."""


def fuzzed_argv(rng: random.Random, out) -> list[str]:
    argv = [rng.choice(["distill", "distill", "distill", "teacher"])]
    if argv[0] == "distill":
        argv += ["--out", str(out)]
        if rng.random() < 0.2:
            argv.append("--resume")
    for _ in range(rng.randint(0, 4)):
        flag = rng.choice(FLAGS)
        if argv[0] == "teacher" and flag in ("--iterations", "--out", "--method", "--seeds"):
            continue
        argv += [flag, rng.choice(VALUES + ["cpu", "cuda", "tpu", "kl", "smoke", "ddad"])]
    for _ in range(rng.randint(0, 2)):
        name = rng.choice(SETS)
        argv += ["--set", name if name in ("=", "novalue") else f"{name}={rng.choice(VALUES)}"]
    if rng.random() < 0.05:
        argv.append(rng.choice(["--bogus", "--iterations"]))
    return argv


def test_fuzzed_command_lines_end_in_exit_0_or_one_line(tmp_path, capsys, monkeypatch):
    """200 random command lines: each is refused in one line (exit 2) or reaches the work (the
    teacher's training, stubbed here), never a traceback."""
    def reached(*args, **kwargs):
        raise ReachedWork

    monkeypatch.setattr("ddad_lite.cli.teacher.load_or_train_teacher", reached)
    monkeypatch.setattr("ddad_lite.runs.run.load_or_train_teacher", reached)
    monkeypatch.setattr("ddad_lite.runs.store.load_or_train_teacher", reached)
    rng = random.Random(18)
    outcomes = {"refused": 0, "accepted": 0}
    for case in range(200):
        argv = fuzzed_argv(rng, tmp_path / f"run{case % 3}")
        try:
            code, _, err = cli(capsys, *argv)
        except ReachedWork:
            outcomes["accepted"] += 1
            continue
        assert code in (0, 2), (argv, code, err)
        if code == 2:
            assert len(err) == 1 and err[0].startswith("error: "), (argv, err)
            outcomes["refused"] += 1
        else:
            outcomes["accepted"] += 1
    assert outcomes["refused"] > 20 and outcomes["accepted"] > 5, outcomes
    assert not any(p.name.startswith(".") for p in tmp_path.rglob("*"))


def test_fuzzed_small_real_runs_end_in_exit_0_or_one_line(tmp_path, capsys, cli_cache):  # noqa: F811
    """A few fuzzed command lines run for real (tiny sizes), sharing two run folders so that
    "already holds a run" and --resume are met too."""
    rng = random.Random(180)
    for case in range(6):
        argv = ["distill", "--profile", "smoke", "--no-progress", "--cache-dir", str(cli_cache),
                "--out", str(tmp_path / f"run{case % 2}"), *TINY_ARGS,
                "--iterations", rng.choice(["1", "2", "0", "-1"])]
        for _ in range(rng.randint(0, 3)):
            argv += [rng.choice(["--eval-every", "--checkpoint-every", "--batch-size",
                                 "--student-steps", "--seed", "--checkpoint-minutes"]),
                     rng.choice(["0", "1", "2", "-1", "nan", "abc"])]
        if rng.random() < 0.4:
            argv.append("--resume")
        code, out, err = cli(capsys, *argv)
        assert code in (0, 2), (argv, err)
        if code == 2:
            assert len(err) == 1 and err[0].startswith("error: "), (argv, err)
        else:
            json.loads(out.strip().splitlines()[-1], parse_constant=float)
