"""Data-parallel distillation (distributed.py) on CPUs with gloo: two processes with half the
batch each are the single process on the whole batch; torchrun runs, resumes and survives
the loss of a rank with a resumable checkpoint; world sizes are checked on resume."""

import copy
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from conftest import PROJECT_ROOT, copy_teacher_cache, smoke_config

from ddad_lite.config import DistillConfig
from ddad_lite.distributed import DataParallel, GlobalBatchNorm, check_world_size
from ddad_lite.engine import Distiller
from ddad_lite.errors import UserError
from ddad_lite.models import build

WORLD = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_z(distiller, zs, part: slice):
    """Make `distiller` draw the given z batches in order (this rank's rows of each)."""
    queue = iter(zs)
    distiller.sample_z = lambda batch_size=None: next(queue)[part].clone()


def random_teacher(cfg) -> torch.nn.Module:
    """The recipe's teacher, untrained, its BN running statistics moved off 0 and 1 by a few
    training-mode passes (the equivalence needs no trained teacher)."""
    torch.manual_seed(5)
    teacher = build(cfg.teacher, num_classes=10, channels=3)
    with torch.no_grad():
        for _ in range(3):
            teacher(torch.rand(16, 3, 32, 32) * 2 + 0.5)
    return teacher.eval()


def one_iteration(distiller) -> dict:
    distiller.train_iteration()
    return {f"{name}.{key}": value.detach().clone()
            for name, net in (("S", distiller.S), ("G", distiller.G))
            for key, value in [*net.state_dict().items(),
                               *((k + ".grad", p.grad) for k, p in net.named_parameters()
                                 if p.grad is not None)]}


def rank_worker(rank: int, port: int, payload: str, out: str):
    """One rank of the data-parallel iteration; rank 0 saves S's and G's state and grads."""
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)  # S and G in float64, as in the parent (below)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        job = torch.load(payload, weights_only=False)
        cfg = DistillConfig.from_dict(job["config"])
        d = Distiller(cfg, job["teacher"], parallel=DataParallel(rank=rank, world_size=WORLD))
        serve_z(d, job["z"], slice(rank * cfg.batch_size, (rank + 1) * cfg.batch_size))
        result = one_iteration(d)
        d.close()
        if rank == 0:
            torch.save(result, out)
    finally:
        dist.destroy_process_group()


# The claim is mathematical (the same objective and gradient), so both sides run in float64:
# in float32 the two reduction orders (one batch of 8 vs two of 4 summed over ranks) differ by
# kernel rounding, which depends on the CPU's kernels (AVX512-BF16 machines exceeded 1e-5).
# float64 rounding, u = 1.1e-16, grows at most ~ n u over a reduction of n terms; the longest
# here (a 3x3 conv's weight gradient over 8 x 32 x 32 positions, then the net's depth and
# Adam's one step) stays far below 1e-10 relative, while a real error (a rank's gradient not
# averaged, a BN statistic of half the batch) is of order 1.
TOLERANCE = 1e-10


@pytest.mark.parametrize("method", ["ddad", "dafl"])
def test_two_ranks_with_half_batches_are_one_process_with_the_whole(tmp_path, method, float64):
    """ddad: L_BN on the global batch, G's and S's BatchNorms, averaged gradients; dafl: the
    joint loop and the class-balance term on the global batch's mean prediction."""
    batch = 8
    cfg = smoke_config(method, batch_size=batch, amp=False, channels_last=False)
    teacher = random_teacher(cfg)
    zs = torch.randn(cfg.student_steps + 1, batch, cfg.nz,
                     generator=torch.Generator().manual_seed(3))

    single = Distiller(cfg, copy.deepcopy(teacher))
    serve_z(single, zs, slice(None))
    expected = one_iteration(single)
    single.close()

    half = smoke_config(method, batch_size=batch // WORLD, amp=False, channels_last=False)
    payload, out = tmp_path / "job.pt", tmp_path / "rank0.pt"
    torch.save({"config": half.to_dict(), "teacher": teacher, "z": zs}, payload)
    mp.spawn(rank_worker, args=(free_port(), str(payload), str(out)), nprocs=WORLD)
    found = torch.load(out, weights_only=False)

    assert found.keys() == expected.keys()
    assert any(k.endswith(".grad") for k in found)
    floats = [k for k, v in expected.items() if v.is_floating_point()]
    assert all(expected[k].dtype == found[k].dtype == torch.float64 for k in floats)
    # Each tensor in norm: Adam's first step, lr * g / (|g| + eps), magnifies the rounding of
    # gradients near zero in single elements, never in a tensor's norm.
    errors = {key: float((found[key].double() - value.double()).norm()
                         / (value.double().norm() + 1e-300)) for key, value in expected.items()}
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, (worst, errors[worst])


def test_the_global_batchnorm_is_batchnorm_without_a_process_group():
    bn, plain = GlobalBatchNorm(3, reduce=lambda t: t), torch.nn.BatchNorm2d(3)
    x = torch.randn(6, 3, 4, 4) * 3 + 5
    torch.testing.assert_close(bn(x), plain(x), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(bn.running_var, plain.running_var)
    torch.testing.assert_close(bn.running_mean, plain.running_mean)


def test_a_checkpoint_of_another_world_size_is_refused_in_one_line():
    state = {"world_size": 2}
    with pytest.raises(UserError, match="made by 2 process.*torchrun --nproc-per-node 2"):
        check_world_size(state, 1)
    with pytest.raises(UserError, match="made by 1 process.*single process"):
        check_world_size({}, 2)
    check_world_size(state, 2)


# ---- torchrun on the command line --------------------------------------------------------------
def torchrun(*args, cache, timeout=300):
    return subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(WORLD),
         "--master-port", str(free_port()), "-m", "ddad_lite", "distill", "--dataset", "shapes",
         "--profile", "smoke", "--no-progress", "--batch-size", "8", *args],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1", "PATH": os.environ["PATH"],
             "DDAD_CACHE": str(cache), "HOME": os.environ.get("HOME", "/tmp")})


def rank_pid(launcher_pid: int, rank: int) -> int | None:
    """The pid of the worker of `rank` started by torchrun (read from /proc)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = int(next(line for line in status.read_text().splitlines()
                            if line.startswith("PPid:")).split()[1])
            environ = (status.parent / "environ").read_bytes().split(b"\0")
        except (OSError, StopIteration, ValueError):
            continue
        if ppid == launcher_pid and f"RANK={rank}".encode() in environ:
            return int(status.parent.name)
    return None


@pytest.fixture(scope="module")
def cache(tmp_path_factory, smoke_teacher_cache):
    """$DDAD_CACHE for the torchrun runs, holding a copy of the session's smoke teacher: rank 0
    loads it while the other ranks wait at the same barrier as for training it."""
    cache = tmp_path_factory.mktemp("cache")
    copy_teacher_cache(smoke_teacher_cache, cache / "teachers")
    return cache


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_torchrun_runs_resumes_and_survives_a_lost_rank(tmp_path, cache):
    out = tmp_path / "run"
    args = ("--out", str(out), "--iterations", "40", "--checkpoint-every", "1",
            "--eval-every", "20")
    launcher = torchrun(*args, cache=cache)
    checkpoint = out / "checkpoint.pt"
    deadline = time.monotonic() + 600  # rank 0 loads the smoke teacher first
    while not checkpoint.exists() and launcher.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = rank_pid(launcher.pid, 1)
    assert checkpoint.exists() and victim is not None and launcher.poll() is None, \
        launcher.communicate()
    os.kill(victim, 9)
    stdout, stderr = launcher.communicate(timeout=120)
    assert launcher.returncode != 0
    assert "another rank of this run stopped; the last checkpoint" in stderr, stderr
    assert "resume with the same torchrun command and --resume" in stderr
    assert not (out / "metrics.json").exists()
    state = torch.load(checkpoint, weights_only=False)
    assert state["world_size"] == WORLD and len(state["ranks"]) == WORLD
    assert 1 <= state["step"] < 40
    z_states = [r["rng"]["z"] for r in state["ranks"]]
    assert not torch.equal(z_states[0], z_states[1])  # each rank its own z stream

    resumed = torchrun(*args, "--resume", cache=cache)
    stdout, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1  # rank 0 alone reports
    assert lines[0]["iterations"] == 40 and lines[0]["world_size"] == WORLD
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == WORLD and metrics["evaluations"] == 2
    history = json.loads((out / "history.json").read_text())
    assert [e["iteration"] for e in history["eval"]] == [20, 40]
