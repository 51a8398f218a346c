"""Shared fixtures: a small shapes teacher trained once per test session, and the smoke
profile's teacher in the session's teacher cache (copied into a test's own cache where a
subprocess needs it, so that no test trains the same smoke teacher again)."""

import copy
import os
import shutil
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset

from ddad_lite.config import TeacherConfig
from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller
from ddad_lite.teacher import load_or_train_teacher

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

# Tests share the machine's cores with nothing else in CI; keep thread counts predictable
# (an explicit OMP_NUM_THREADS wins: tests/kernel_matrix.py runs the suite under 1 and 2).
if not os.environ.get("OMP_NUM_THREADS"):
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def teacher_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("teachers")


@pytest.fixture(scope="session")
def shapes_teacher(teacher_cache):
    """A small but real shapes teacher (96% test accuracy), shared by the tests: the half-width
    convnet the shapes recipes use (the smoke config's teacher), trained in about a third of the
    full-width one's time (15 s against 49 s measured side by side; 98.4% for the full width).
    A student distilled from it for 100 iterations reached 0.50 against 0.44 with the full
    width (test_engine's above-chance test asks for 0.25)."""
    recipe = TeacherConfig(dataset="shapes", model="convnet_teacher_half", epochs=2,
                           train_size=6000, batch_size=64, lr=0.05)
    return load_or_train_teacher(recipe, cache_dir=teacher_cache, progress=False)


@pytest.fixture(scope="session")
def smoke_teacher_cache(teacher_cache):
    """The session's teacher cache, holding the smoke profile's shapes teacher (trained on
    first use). Read it, or copy it with `copy_teacher_cache`; never write into it."""
    load_or_train_teacher(smoke_config().teacher_recipe, cache_dir=teacher_cache,
                          progress=False)
    return teacher_cache


def copy_teacher_cache(source, dest):
    """A copy of the teacher cache `source` (its files and MANIFEST.json, no lock or
    temporary) at `dest`, for a test that may write into its cache or hands it to a
    subprocess. Returns `dest`."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.lock", "*.tmp"),
                    dirs_exist_ok=True)
    return dest


@pytest.fixture(scope="session")
def smoke_series(tmp_path_factory):
    """The notebook series executed once per session in the smoke profile through the runner
    (`reproduce`), with a teacher cache of its own (notebook 00 trains the teacher): (run root,
    results). Shared by test_notebooks (the gate and nbval), test_segmentation (notebook 05)
    and test_solutions (copies of its runs and teacher). Read it; a test that would write into
    it works on a copy."""
    from ddad_lite.series.reproduce import reproduce

    root = tmp_path_factory.mktemp("series")
    results = reproduce(profile="smoke", out_root=root, cache_dir=root / "teachers",
                        timeout=600)
    return root / "smoke", results


def smoke_config(method="ddad", **overrides):
    """The smoke profile on shapes with progress bars off."""
    overrides.setdefault("progress", False)
    return make_config("shapes", method, "smoke", **overrides)


@pytest.fixture
def float64():
    """Tensors and modules the test builds are float64 (the default dtype, restored after):
    for equivalence tests, whose claim is the mathematics, not one CPU's float32 rounding."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def float64_close(found, expected, *, scale=None, rel=1e-12, msg=None):
    """found == expected to float64 rounding: |found - expected| <= rel * scale elementwise,
    `scale` the largest |expected| (by default). float64's unit roundoff is 1.1e-16; sums over
    the n <= 10^4 terms of these tests' reductions and a few layers of depth grow it to at most
    ~1e-13 of the largest value, so 1e-12 leaves a margin while a wrong term (order 1) fails."""
    assert found.dtype == expected.dtype == torch.float64, (found.dtype, expected.dtype)
    scale = float(expected.abs().max()) if scale is None else scale
    torch.testing.assert_close(found, expected, rtol=0, atol=rel * scale, msg=msg)


class RecordingDataset(Dataset):
    """Wraps a dataset and records, per access, whether autograd was on."""

    def __init__(self, inner):
        self.inner, self.grad_enabled_at_access = inner, []

    def __len__(self):
        return len(self.inner)

    def __getitem__(self, i):
        self.grad_enabled_at_access.append(torch.is_grad_enabled())
        return self.inner[i]


def make_distiller(teacher, cfg, eval_dataset=None):
    return Distiller(cfg, copy.deepcopy(teacher), eval_dataset=eval_dataset)
