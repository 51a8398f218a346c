"""Reliability of runs and the command line (issue 18, docs/reliability.md): every fault a
one-line error (exit 2) before any work, nothing half-written, progress kept.

Each test injects one fault: a setting out of range, a run folder that cannot be written or
is held by another process, a checkpoint that is not the kit's, a full disk, a loss that
turns NaN. The faults that need a killed process are in test_reliability_run_faults.py.
"""

import errno
import itertools
import json
import math
import os
import shutil
import subprocess
import sys

import pytest
import torch

from ddad_lite import files
from ddad_lite.cli.main import interrupted_message, main
from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller
from ddad_lite.errors import UserError
from ddad_lite.runs.lock import LOCK_NAME
from ddad_lite.runs.run import RUN_FILES, run_distillation
from ddad_lite.runs.store import run_or_load
from ddad_lite.teacher import TEACHER_FORMAT, build_teacher, teacher_path

# A run of a few seconds. Its teacher is the smoke recipe's network with random weights:
# what these tests check does not depend on what the teacher knows, and nothing is trained.
# No validation split (val_size=0): drawing the train split would cost each process seconds.
TINY = dict(iterations=4, batch_size=8, student_steps=1, eval_every=2, eval_size=50,
            val_size=0, snapshot_every=2, snapshot_size=4, log_every=1)
TINY_ARGS = [a for k, v in TINY.items() for a in ("--set", f"{k}={v}")]


def tiny_config(**overrides):
    return make_config("shapes", "ddad", "smoke", **{**TINY, "progress": False, **overrides})


@pytest.fixture(scope="module")
def random_teacher():
    """(model, record) of an untrained teacher for the TINY run."""
    torch.manual_seed(0)
    return build_teacher(tiny_config().teacher_recipe).eval(), {"accuracy": None}


@pytest.fixture(scope="module")
def cli_cache(tmp_path_factory, random_teacher):
    """A teacher cache where the CLI finds `random_teacher` for the TINY run."""
    cache = tmp_path_factory.mktemp("cache")
    model, _ = random_teacher
    path = teacher_path(tiny_config().teacher_recipe, cache)
    torch.save({"format": TEACHER_FORMAT, "state_dict": model.state_dict(),
                "accuracy": None}, path)
    (cache / "MANIFEST.json").write_text(json.dumps(
        {path.name: {"sha256": files.sha256_file(path), "accuracy": None}}))
    return cache


@pytest.fixture(scope="module")
def finished(tmp_path_factory, random_teacher):
    """A finished TINY run, checkpointed at every iteration."""
    out = tmp_path_factory.mktemp("finished") / "run"
    metrics = run_distillation(tiny_config(checkpoint_every=1), out, teacher=random_teacher)
    return out, metrics


def cli(capsys, *argv):
    """main(argv) in this process: (exit status, stdout, stderr lines)."""
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def assert_one_line(code, err, *phrases):
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err  # no traceback
    for phrase in phrases:
        assert phrase in err[0], err


def folder_state(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---- settings, checked where they enter ----------------------------------------------------

@pytest.mark.parametrize("args,phrase", [
    (["--student-steps", "0"], "'student_steps' must be >= 1"),
    (["--iterations", "0"], "'iterations' must be >= 1"),
    (["--iterations", "-5"], "'iterations' must be >= 1"),
    (["--batch-size", "0"], "'batch_size' must be >= 1"),
    (["--batch-size", "-4"], "'batch_size' must be >= 1"),
    (["--batch-size", "100000000"], "'batch_size' must be <= 65536"),
    (["--batch-size", "1e8"], "invalid int value"),
    (["--eval-every", "-1"], "'eval_every' must be >= 0"),
    (["--checkpoint-every", "-1"], "'checkpoint_every' must be >= 0"),
    (["--checkpoint-minutes", "-1"], "'checkpoint_minutes' must be >= 0"),
    (["--checkpoint-minutes", "nan"], "'checkpoint_minutes' must be float"),
    (["--seed", "-1"], "'seed' must be >= 0"),
    (["--lr-student", "nan"], "'lr_student' must be float"),
    (["--alpha", "inf"], "'bn' must be float"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--iterations", "many"], "invalid int value"),
])
def test_a_bad_setting_is_one_line_before_any_work(capsys, tmp_path, args, phrase):
    code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(tmp_path / "run"),
                       "--cache-dir", str(tmp_path / "cache"), *args)
    assert_one_line(code, err, phrase)
    assert not (tmp_path / "run").exists() and not (tmp_path / "cache").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_refused_before_the_teacher_trains(capsys, tmp_path):
    for command in (["distill", "--out", str(tmp_path / "run")], ["teacher"]):
        code, _, err = cli(capsys, *command, "--profile", "smoke", "--device", "cuda",
                           "--cache-dir", str(tmp_path / "c"))
        assert_one_line(code, err, "no CUDA device")
        assert not (tmp_path / "c").exists() and not (tmp_path / "run").exists()


def test_out_naming_a_file_or_a_path_under_one_is_refused_before_any_work(capsys, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    for out, phrase in ((a_file, "is a file, not a folder"),
                        (a_file / "run", "lies under"), (a_file / "x" / "run", "lies under")):
        code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(out),
                           "--cache-dir", str(tmp_path / "cache"))
        assert_one_line(code, err, phrase)
    assert a_file.read_text() == "mine" and not (tmp_path / "cache").exists()


def test_an_unwritable_run_folder_is_refused_before_any_work(capsys, tmp_path, monkeypatch):
    import ddad_lite.runs.lock as lock

    real_open = os.open

    def refuse(path, *args, **kwargs):  # what a read-only folder answers a non-root user
        if str(path).endswith(LOCK_NAME):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(lock.os, "open", refuse)
    code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(tmp_path / "ro"),
                       "--cache-dir", str(tmp_path / "cache"))
    assert_one_line(code, err, "cannot write into the run folder", "Permission denied")
    assert not (tmp_path / "cache").exists() and not (tmp_path / "ro").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_run_folder_is_refused(capsys, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(ro),
                           "--cache-dir", str(tmp_path / "cache"))
    finally:
        ro.chmod(0o755)
    assert_one_line(code, err, "cannot write into the run folder")


def test_a_malformed_command_line_is_one_line_too(capsys):
    for argv in (["distill", "--iterations"], ["distill", "--bogus"], ["nope"], []):
        code, _, err = cli(capsys, *argv)
        assert_one_line(code, err, "--help")


# ---- checkpoints that are not the kit's ----------------------------------------------------

def _damaged_checkpoints(good: dict, raw: bytes):
    """(name, writer) pairs: each writes one kind of bad checkpoint to a path."""
    def torch_file(obj):
        return lambda path: torch.save(obj, path)

    def without(*keys):
        return torch_file({k: v for k, v in good.items() if k not in keys})

    return [
        ("a list", torch_file([1, 2, 3])),
        ("a tensor", torch_file(torch.zeros(3))),
        ("a dict of another kind", torch_file({"weights": torch.zeros(2)})),
        ("no config", without("config")),
        ("no rng", without("rng")),
        ("a config that is a list", torch_file({**good, "config": [1, 2]})),
        ("a config with a wrong field", torch_file({**good, "config": {"bogus": 1}})),
        ("an rng without its parts", torch_file({**good, "rng": {}})),
        ("a student of another shape", torch_file(
            {**good, "student": {k: v[..., :1] if v.dim() else v
                                 for k, v in good["student"].items()}})),
        ("truncated", lambda path: path.write_bytes(raw[: len(raw) // 3])),
        ("garbage", lambda path: path.write_bytes(os.urandom(4096))),
        ("empty", lambda path: path.write_bytes(b"")),
        ("JSON", lambda path: path.write_text('{"format": "ddad-lite/checkpoint-v1"}')),
    ]


def test_a_checkpoint_that_is_not_the_kits_is_one_line_and_left_alone(
        capsys, tmp_path, finished, cli_cache):
    out, _ = finished
    raw = (out / "checkpoint.pt").read_bytes()
    good = torch.load(out / "checkpoint.pt", weights_only=True)
    for name, write in _damaged_checkpoints(good, raw):
        run = tmp_path / name.replace(" ", "_")
        shutil.copytree(out, run)
        write(run / "checkpoint.pt")
        before = folder_state(run)
        code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(run),
                           "--resume", "--cache-dir", str(cli_cache), "--no-progress",
                           *TINY_ARGS, "--set", "checkpoint_every=1")
        assert code == 2 and len(err) == 1 and err[0].startswith("error: "), (name, err)
        assert "checkpoint" in err[0], (name, err)
        assert folder_state(run) == before, name


def test_run_or_load_refuses_damaged_run_files_in_one_line(tmp_path, finished, random_teacher):
    out, _ = finished
    for name, content in (("metrics.json", "{not json"), ("metrics.json", "[1, 2]"),
                          ("metrics.json", '{"config": 3}')):
        run = tmp_path / "run"
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(out, run)
        (run / name).write_text(content)
        with pytest.raises(UserError) as e:
            run_or_load(tiny_config(checkpoint_every=1), run, teacher=random_teacher)
        assert "\n" not in str(e.value) and "metrics" in str(e.value)


# ---- progress kept: periodic checkpoints, leftovers, wall time ------------------------------

def test_checkpoints_are_periodic_by_default(tmp_path, random_teacher, monkeypatch):
    """With the default flags a run killed late keeps a recent checkpoint: one is written every
    `checkpoint_minutes` (a clock that jumps two minutes per iteration stands in for time)."""
    import ddad_lite.engine as engine

    cfg = tiny_config()
    assert cfg.checkpoint_every == 0 and cfg.checkpoint_minutes > 0
    clock = itertools.count(0, 120)
    monkeypatch.setattr(engine.time, "perf_counter", lambda: float(next(clock)))
    real = Distiller.train_iteration

    def killed_at_3(self):
        if self.step == 3:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Distiller, "train_iteration", killed_at_3)
    with pytest.raises(KeyboardInterrupt):
        run_distillation(cfg, tmp_path / "run", teacher=random_teacher)
    saved = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert saved["step"] >= 1
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["checkpoint.pt"]


def test_resume_cleans_orphan_temporaries_and_sums_wall_time(tmp_path, finished,
                                                             random_teacher):
    out, first = finished
    run = tmp_path / "run"
    shutil.copytree(out, run)
    for orphan in (".checkpoint.pt.k1ll3d.tmp", ".metrics.json.x.tmp", LOCK_NAME):
        (run / orphan).write_bytes(b"left by a killed writer")
    before = torch.load(run / "checkpoint.pt", weights_only=True)["wall_seconds"]
    metrics = run_distillation(tiny_config(checkpoint_every=1), run, resume=True,
                               teacher=random_teacher)
    assert sorted(p.name for p in run.iterdir()) == sorted(RUN_FILES)
    assert metrics["wall_seconds"] >= round(before, 2) > 0
    assert metrics["student_acc"] == first["student_acc"]


# ---- NaN and divergence ------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["loss", "parameter"])
def test_a_non_finite_run_stops_in_one_line_and_keeps_the_last_good_checkpoint(
        capsys, tmp_path, cli_cache, monkeypatch, fault):
    real = Distiller.train_iteration

    def poisoned(self):
        losses = real(self)
        if self.step == 3 and fault == "loss":
            losses["loss_S"] = losses["loss_S"] * float("nan")
            self.finite &= torch.isfinite(losses["loss_S"])
        if self.step >= 3 and fault == "parameter":
            with torch.no_grad():
                next(self.S.parameters()).fill_(float("inf"))
        return losses

    monkeypatch.setattr(Distiller, "train_iteration", poisoned)
    out = tmp_path / "run"
    code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(out),
                       "--cache-dir", str(cli_cache), "--no-progress", *TINY_ARGS,
                       "--set", "checkpoint_every=1")
    assert_one_line(code, err, "diverged at iteration 3", "last good checkpoint (iteration 2)")
    kept = torch.load(out / "checkpoint.pt", weights_only=True)
    assert kept["step"] == 2
    assert all(torch.isfinite(v).all() for v in kept["student"].values() if v.is_floating_point())
    metrics = json.loads((out / "metrics.json").read_text(), parse_constant=_refuse)
    assert metrics["status"] == "failed" and "student_acc" not in metrics
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "metrics.json"]
    with pytest.raises(UserError, match="failed"):  # never read back as a result
        run_or_load(tiny_config(checkpoint_every=1), out, cache_dir=cli_cache)


def _refuse(token):
    raise ValueError(f"bare {token} in JSON")


def test_json_is_strict(tmp_path):
    path = tmp_path / "m.json"
    files.save_json(path, {"a": float("nan"), "b": [float("inf"), 1.5],
                           "t": torch.tensor([float("nan"), 2.0]), "c": (float("-inf"),)})
    assert json.loads(path.read_text(), parse_constant=_refuse) == {
        "a": None, "b": [None, 1.5], "t": [None, 2.0], "c": [None]}


# ---- one writer per run folder -------------------------------------------------------------

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, str(os.getpid()).encode())
print("held", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_a_folder_being_written_is_refused_and_a_dead_holders_lock_taken_over(
        capsys, tmp_path, cli_cache):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out / LOCK_NAME)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        argv = ["distill", "--profile", "smoke", "--out", str(out), "--cache-dir",
                str(cli_cache), "--no-progress", *TINY_ARGS]
        code, _, err = cli(capsys, *argv)
        assert_one_line(code, err, "being written by another process", f"pid {holder.pid}")
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert (out / LOCK_NAME).read_text() == str(holder.pid)  # left by a dead process
    code, _, err = cli(capsys, *argv)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


# ---- a full disk in every writer of a run --------------------------------------------------

@pytest.mark.parametrize("target", RUN_FILES)
def test_a_full_disk_in_a_run_writer_is_one_line_and_leaves_no_temporary(
        capsys, tmp_path, cli_cache, monkeypatch, target):
    real = files.atomic_write

    def full_disk(path, write):
        if os.path.basename(path) != target:
            return real(path, write)

        def half_then_enospc(tmp):
            with open(tmp, "wb") as f:
                f.write(b"\0" * 100)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, half_then_enospc)

    monkeypatch.setattr(files, "atomic_write", full_disk)
    out = tmp_path / "run"
    code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(out),
                       "--cache-dir", str(cli_cache), "--no-progress", *TINY_ARGS)
    assert_one_line(code, err, "no space left", target)
    assert not (out / target).exists()
    # No temporary and no lock left; a folder in which nothing was written is removed.
    assert not out.exists() or not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert out.exists() == (target != RUN_FILES[0])


def test_a_full_disk_under_torch_save_is_an_oserror_not_unexpected_pos(tmp_path, monkeypatch):
    """torch.save straight to a path reports a full disk as "unexpected pos" (a RuntimeError);
    save_torch writes through a Python file, so the disk's ENOSPC reaches the one-line error."""
    import builtins

    real_open = builtins.open

    class FullDisk:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def opener(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        return FullDisk(f) if str(path).endswith(".tmp") and "w" in mode else f

    monkeypatch.setattr(files, "open", opener, raising=False)
    with pytest.raises(UserError, match="no space left.*x.pt"):
        files.save_torch(tmp_path / "x.pt", {"w": torch.ones(10_000)})
    assert list(tmp_path.iterdir()) == []


# ---- Ctrl-C says what it left --------------------------------------------------------------

def test_the_interrupt_message_names_only_files_that_were_written(tmp_path, capsys,
                                                                  monkeypatch):
    assert "before any file was written" in interrupted_message([])
    said = interrupted_message([tmp_path / "run" / "checkpoint.pt"])
    assert "checkpoint.pt" in said and "--resume" in said

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "WRITTEN", [])
    monkeypatch.setattr("ddad_lite.cli.main.WRITTEN", files.WRITTEN)
    monkeypatch.setattr("ddad_lite.cli.distill.run_distillation", interrupted)
    code, _, err = cli(capsys, "distill", "--profile", "smoke", "--out", str(tmp_path / "r"))
    assert code == 130 and err == [interrupted_message([])]


def test_nan_is_never_a_finite_setting():
    for value in ("nan", "inf", "-inf"):
        with pytest.raises(UserError):
            make_config("shapes", "ddad", "smoke", lr_generator=value)
    assert math.isfinite(make_config("shapes", "ddad", "smoke").lr_generator)
