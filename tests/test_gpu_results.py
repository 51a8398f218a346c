"""The GPU results shipped in docs/results/gpu-*/ (what `gpu-reproduce` wrote on a lent GPU):
complete, small, consistent with one another, and the README's table drawn from them."""

import json
import re
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from ddad_lite.metrics import selected_summary
from ddad_lite.runs.gpu_reproduce import RESULT_FILES

RUNS = sorted((PROJECT_ROOT / "docs" / "results").glob("gpu-*"))


def read(folder: Path, name: str):
    return json.loads((folder / name).read_text())


@pytest.mark.parametrize("folder", RUNS, ids=[r.name for r in RUNS])
def test_gpu_results_are_complete_small_and_hold_no_checkpoint(folder):
    names = {p.name for p in folder.iterdir()}
    assert set(RESULT_FILES) <= names and "README.md" in names
    assert not any(p.suffix in (".pt", ".pth", ".ckpt") for p in folder.iterdir())
    assert all(p.stat().st_size < 1 << 20 for p in folder.iterdir())  # small enough for git


@pytest.mark.parametrize("folder", RUNS, ids=[r.name for r in RUNS])
def test_gpu_results_agree_with_their_own_curves(folder):
    metrics, history = read(folder, "metrics.json"), read(folder, "history.json")
    record, bench = read(folder, "reproduction.json"), read(folder, "bench.json")
    test = [e["student_acc"] for e in history["eval"]]
    val = [e["val_student_acc"] for e in history["eval"]]
    summary = selected_summary(test, val)
    assert metrics["student_acc"] == summary["final"] == test[-1]
    assert metrics["mean_student_acc"] == pytest.approx(summary["mean"])
    assert metrics["best_student_acc"] == summary["best"]
    assert metrics["iterations"] == history["eval"][-1]["iteration"]
    headline = record["headline"]
    assert headline["student_final"] == metrics["student_acc"]
    assert headline["synthetic_images"] == metrics["synthetic_images"] == (
        metrics["iterations"] * 6 * metrics["config"]["batch_size"])
    assert read(folder, "teacher.json")["accuracy"] == pytest.approx(metrics["teacher_acc"],
                                                                      abs=1e-3)
    assert bench["achieved_tflops"] == pytest.approx(
        bench["flops_per_iteration"] / bench["seconds_per_iteration"] / 1e12)
    assert record["status"] == "finished" and sum(record["phases"].values()) <= record[
        "wall_seconds"]


@pytest.mark.parametrize("folder", RUNS, ids=[r.name for r in RUNS])
def test_the_readme_table_is_drawn_from_the_gpu_results(folder):
    row = next(line for line in (PROJECT_ROOT / "README.md").read_text().splitlines()
               if line.startswith("|") and f"({folder.name})" in line)
    metrics, record = read(folder, "metrics.json"), read(folder, "reproduction.json")
    cells = [c.strip() for c in row.strip("|").split("|")]
    expected = [read(folder, "teacher.json")["accuracy"], metrics["student_acc"],
                metrics["mean_student_acc"], metrics["best_student_acc"]]
    assert [float(c) for c in cells[1:5]] == [round(v, 4) for v in expected]
    share = re.search(r"([\d.]+)% of DFAD", cells[5]).group(1)
    assert float(share) == round(100 * metrics["share_of_full_profile"], 1)
    assert float(cells[6]) == record["gpu_minutes"]
