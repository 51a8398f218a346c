"""`gpu-reproduce` (runs/gpu_reproduce.py), the time limit that ends a run at a deadline, the
`gpu` profile and the ddad bench: the path a GPU run takes, checked on the CPU first.

The end-to-end run is made once, in a subprocess where the notebook extras are blocked (a GPU
box may have torch alone), on `shapes` with a budget of seconds: the same phases and files as
on a GPU, only the sizes differ."""

import importlib.util
import json
import subprocess
import sys

import pytest
import torch
from conftest import PROJECT_ROOT, SHARED_DATA, make_distiller, smoke_config
from test_torch_only import run_torch_only

from ddad_lite import bench
from ddad_lite.config.building import make_config
from ddad_lite.config.overrides import parse_duration
from ddad_lite.errors import UserError
from ddad_lite.runs.gpu_reproduce import PLANNING_MARGIN, RESULT_FILES, plan_iterations

RESULT_LIMIT = 16 * 2**20  # what one file may weigh to come back from a lent GPU


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("gpu")
    out = root / "results"
    done = run_torch_only("gpu-reproduce", "--dataset", "shapes", "--profile", "smoke",
                          "--device", "cpu", "--budget", "5m", "--bench-iters", "2",
                          "--set", "iterations=4", "--out", str(out), cache=root / "cache")
    return done, out, root


def test_gpu_reproduce_runs_every_phase_and_writes_eight_small_files(results):
    done, out, root = results
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)
    assert all(p.stat().st_size < RESULT_LIMIT for p in out.iterdir())
    record = json.loads((out / "reproduction.json").read_text())
    assert record["status"] == "finished"
    assert list(record["phases"]) == ["environment", "data", "bench", "teacher", "distill",
                                      "results"]
    assert record["wall_seconds"] < 300
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "finished" and metrics["student_acc"] is not None
    assert metrics["iterations"] == record["headline"]["iterations"] == 4  # --set: at most 4
    assert metrics["config"]["iterations"] == record["headline"]["planned_iterations"] == 4
    assert metrics["synthetic_images"] == metrics["iterations"] * 3 * 32  # (k + 1) B, smoke
    bench_figures = json.loads((out / "bench.json").read_text())
    assert bench_figures["seconds_per_iteration"] > 0
    assert bench_figures["flops_per_iteration"] > 0 and bench_figures["achieved_tflops"] > 0
    teacher = json.loads((out / "teacher.json").read_text())
    assert 0 <= teacher["accuracy"] <= 1 and teacher["sha256"]
    log = (out / "log.txt").read_text()
    assert "phase distill done" in log and "headline" in log
    # Checkpoints stay in the work folder, never among the results.
    assert not any(p.suffix == ".pt" for p in out.iterdir())
    assert list((root / "results-work" / "runs").glob("*/checkpoint.pt"))


def test_gpu_reproduce_refuses_mistakes_in_one_line_before_writing(results, tmp_path):
    done, out, root = results
    again = run_torch_only("gpu-reproduce", "--dataset", "shapes", "--profile", "smoke",
                           "--device", "cpu", "--out", str(out), cache=root / "cache")
    assert again.returncode == 2 and "already holds results" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    for args, phrase in ((["--device", "cuda"], "no CUDA device"),
                         (["--profile", "gpu"], "no 'gpu' profile"),
                         (["--budget", "ten"], "a duration")):
        if "cuda" in args and torch.cuda.is_available():
            continue
        fresh = tmp_path / "fresh"
        bad = run_torch_only("gpu-reproduce", "--dataset", "shapes", "--profile", "smoke",
                             "--device", "cpu", "--out", str(fresh), *args,
                             cache=tmp_path / "cache")
        assert bad.returncode == 2, bad.stderr
        assert phrase in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
        assert not fresh.exists()  # nothing half-written


def test_iterations_are_planned_to_fit_the_time_left():
    cfg = make_config("cifar10", "ddad", "gpu")
    assert PLANNING_MARGIN == 1.3  # what the first GPU run measured (docs/speed.md)
    assert plan_iterations(cfg, seconds_left=130, seconds_per_iteration=0.05) == 2000
    assert plan_iterations(cfg, seconds_left=1, seconds_per_iteration=5) == 1
    assert plan_iterations(cfg, seconds_left=1e6, seconds_per_iteration=0.01) == 25000  # DFAD's
    assert plan_iterations(cfg, seconds_left=130, seconds_per_iteration=0.05, at_most=7) == 7


def test_a_run_that_reaches_its_time_limit_still_evaluates_and_snapshots_where_it_stopped(
        shapes_teacher):
    from ddad_lite.data import get_dataset

    cfg = smoke_config(iterations=10_000, eval_every=1000, snapshot_every=1000, log_every=7,
                       time_limit=2.0)
    d = make_distiller(shapes_teacher[0], cfg, eval_dataset=get_dataset("shapes", "test"))
    d.fit()
    assert d.stopped_by == "time_limit" and 0 < d.step < cfg.iterations
    assert d.history["eval"][-1]["iteration"] == d.step
    assert d.snapshots[-1]["iteration"] == d.step
    assert d.history["train"][-1]["iteration"] == d.step
    steps = [r["iteration"] for r in d.history["train"]]
    assert len(steps) == len(set(steps))  # the last step is not logged twice
    unlimited = make_distiller(shapes_teacher[0], smoke_config(iterations=3))
    assert unlimited.fit().stopped_by is None and unlimited.step == 3


def test_durations_are_read_with_units_and_refused_in_one_line():
    assert parse_duration("90") == parse_duration("90s") == parse_duration("1.5m") == 90
    assert parse_duration("1h") == 3600
    for bad in ("ten", "-5s", "5x", ""):
        with pytest.raises(UserError, match="duration"):
            parse_duration(bad)


def test_the_gpu_profile_is_cifar10s_and_its_teacher_is_the_fast_recipe():
    cfg = make_config("cifar10", "ddad", "gpu")
    assert (cfg.teacher, cfg.student, cfg.batch_size, cfg.student_steps) == (
        "resnet34_8x", "resnet18_8x", 256, 5)
    assert cfg.amp == "auto" and cfg.channels_last and cfg.checkpoint_minutes == 0
    recipe = cfg.teacher_recipe
    assert (recipe.batch_size, recipe.label_smoothing, recipe.padding_mode) == (512, 0.1,
                                                                                "reflect")
    full = make_config("cifar10", "ddad", "full")
    assert cfg.generator_kwargs == full.generator_kwargs and cfg.lr_student == full.lr_student
    with pytest.raises(UserError, match="no 'gpu' profile"):
        make_config("shapes", "ddad", "gpu")


def test_teacher_recipe_can_be_set_as_json_from_the_command_line():
    cfg = make_config("cifar10", "ddad", "gpu", teacher_recipe='{"epochs": 1}')
    assert cfg.teacher_recipe.epochs == 1 and cfg.teacher_recipe.batch_size == 512
    with pytest.raises(UserError, match="teacher_recipe"):
        make_config("cifar10", "ddad", "gpu", teacher_recipe='{"epochs": 1')


def test_ddad_bench_counts_flops_per_model_in_proportion_to_the_batch():
    one = bench.run_benchmark("cifar10-r34-r18-ddad", batch_size=1, iters=1, warmup=0,
                              flops=True)
    two = bench.run_benchmark("cifar10-r34-r18-ddad", batch_size=2, iters=1, warmup=0,
                              flops=True)
    assert "flops_error" not in one, one.get("flops_error")
    ratio = two["flops_per_iteration"] / one["flops_per_iteration"]
    assert 1.95 < ratio < 2.05  # convolutions scale with the batch; G's linear layer nearly
    share = one["flop_share"]
    if importlib.util.find_spec("torch.utils.module_tracker") is not None:  # torch >= 2.4
        assert share["T"] > share["G"] > 0 and share["S"] > share["G"]
    else:  # an older counter: the total only, never a wrong split
        assert share == {"T": None, "S": None, "G": None}
    dfad = bench.run_benchmark("cifar10-r34-r18", batch_size=1, iters=1, warmup=0, flops=True)
    # L_BN adds element-wise work only: the counted FLOPs (products) are the same as DFAD's.
    assert dfad["flops_per_iteration"] == one["flops_per_iteration"]


def test_the_tracked_tree_and_the_cifar10_zip_travel_under_64_mib():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True,
                           check=False).stdout.split(b"\0")
    if not any(files):
        pytest.skip("not a git checkout")
    tracked = sum((PROJECT_ROOT / f.decode()).stat().st_size for f in files
                  if f and (PROJECT_ROOT / f.decode()).is_file())
    zip_path = SHARED_DATA / "cifar10-jpeg.zip"
    cifar = zip_path.stat().st_size if zip_path.is_file() else 62_193_089  # its size as shipped
    assert tracked + cifar < 64 * 2**20, (tracked, cifar)


def test_the_cli_knows_the_time_limit_flag(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ddad_lite", "distill", "--out",
                           str(tmp_path / "r"), "--time-limit", "soon"], capture_output=True,
                          text=True, cwd=PROJECT_ROOT)
    assert done.returncode == 2 and "duration" in done.stderr
