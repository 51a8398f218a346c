"""The checks of notebooks 02 and 03's exercises: a right answer passes, a wrong one gets its
hint (the worked solutions themselves run in tests/test_solutions.py)."""

import json

import torch

from ddad_lite.lessons.exercises import verdict


def test_02_floor_and_class_counts():
    assert verdict("02", 2, {8: 3.0, 64: 2.0, 512: 1.5})[0] is True
    assert verdict("02", 2, {8: 1.0, 64: 2.0, 512: 3.0})[0] is False  # rises: not a floor
    assert verdict("02", 2, {8: 1.0})[0] is False
    ok, line = verdict("02", 3, torch.tensor([256, 256, 0, 0]))
    assert ok and "2.0 effective classes" in line
    assert verdict("02", 3, [1, 2, 3])[0] is False  # does not sum to 512


def test_03_alpha_discrepancy_and_collapse(tmp_path):
    assert verdict("03", 1, {0.1: 0.5, 1.0: 0.7, 10.0: 0.6})[0] is True
    assert verdict("03", 1, {0.1: 50, 1.0: 70, 10.0: 60})[0] is False  # percent, not fraction
    run = tmp_path / "run"
    run.mkdir()
    settings = {"discrepancy": "kl", "generator_discrepancy": "l1", "temperature": 1.0}
    metrics = {"student_acc": 0.4, "config": {"method_settings": {"ddad": settings}}}
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert verdict("03", 2, {"run_dir": str(run)})[0] is True
    settings["discrepancy"] = "l1"
    (run / "metrics.json").write_text(json.dumps(metrics))
    ok, line = verdict("03", 2, str(run))
    assert ok is False and "discrepancy='kl'" in line
    ok, line = verdict("03", 3, {"dfad": 1.2, "ddad": 6.5, "bn_only": 5.0})
    assert ok and line.endswith("dfad collapses most: 1.2 effective classes")
