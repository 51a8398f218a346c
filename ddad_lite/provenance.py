"""Where a result came from: the code's commit, the device, the versions, the date.

    provenance("cuda")   {"git_commit", "device", "device_name", "python_version", "python",
                          "torch_version", "torchvision_version", "platform", "date",
                          "torch_threads", "cpu_capability"}

On a CPU, a run is bit for bit the same only with the same torch threads and the same kernel
family (`cpu_capability`, e.g. AVX2 or AVX512): both change the order of floating-point sums,
and a GAN-like loop amplifies such last-digit differences within a few hundred iterations
(docs/results.md, "Reproducibility"). Both are recorded so that two results can be told apart.

Recorded beside every result: in a run's metrics.json (`runs.run.collect_metrics`) and in the
notebook series' results.json (`series.reproduce`).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys

import torch

from .paths import SOURCE_ROOT


def provenance(device) -> dict:
    """The facts above for a result computed on `device` (a torch.device or its name)."""
    import torchvision  # import cost: torchvision (~1-5 s), read for its version

    return {"git_commit": git_commit(), "device": str(device), "device_name": device_name(device),
            "python_version": platform.python_version(), "python": sys.executable,
            "torch_version": str(torch.__version__),
            "torchvision_version": str(torchvision.__version__),
            "platform": platform.platform(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "torch_threads": torch.get_num_threads(), "cpu_capability": cpu_capability()}


def cpu_capability() -> str | None:
    """The CPU kernel family torch dispatches to (e.g. "AVX2", "AVX512"); None if unknown."""
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):  # older torch
        return None


def git_commit() -> str | None:
    """The commit of the ddad-lite checkout, with '+dirty' if it has local changes, or None
    outside a git checkout. The environment variable DDAD_GIT_COMMIT, when set, names it
    instead: a copy of the tree sent to another machine may carry no .git, or a stale one
    (the GPU run of docs/results/gpu-2026-12-04 recorded its copy's stale base commit)."""
    named = os.environ.get("DDAD_GIT_COMMIT") or None
    if named:
        return named
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SOURCE_ROOT, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=SOURCE_ROOT, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return named
    return (sha + ("+dirty" if dirty.strip() else "")) if sha else named


def device_name(device) -> str | None:
    """The GPU's name for a CUDA device, else the CPU's model name (None if it cannot be told)."""
    device = torch.device(device)
    if device.type == "cuda":
        try:
            return torch.cuda.get_device_name(device)
        except (RuntimeError, AssertionError):  # no usable CUDA here
            return None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or None
