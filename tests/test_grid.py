"""The settings grid: every combination is run, the choice is made on validation alone."""

import json

import pytest

from ddad_lite.cli.main import main
from ddad_lite.errors import UserError
from ddad_lite.runs import grid as grid_module
from ddad_lite.runs.grid import grid_points, grid_search, grid_table


def test_grid_points_are_every_combination_in_order():
    points = grid_points({"bn": [0.1, 1], "discrepancy": ["l1", "kl"]})
    assert points == [{"bn": 0.1, "discrepancy": "l1"}, {"bn": 0.1, "discrepancy": "kl"},
                      {"bn": 1, "discrepancy": "l1"}, {"bn": 1, "discrepancy": "kl"}]
    with pytest.raises(UserError, match="at least one value"):
        grid_points({"bn": []})


def test_the_choice_is_the_best_validation_score_not_the_best_test_score(tmp_path, monkeypatch):
    # Two points whose validation and test scores disagree: the grid must follow validation.
    scores = {0.1: (0.9, 0.5), 10.0: (0.6, 0.95)}  # bn -> (val final, test final)

    def fake_run(cfg, run_dir, teacher=None, cache_dir=None):
        val, test = scores[cfg.method_settings["ddad"]["bn"]]
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "history.json").write_text(json.dumps(
            {"eval": [{"iteration": 1, "val_student_acc": val / 2, "student_acc": test},
                      {"iteration": 2, "val_student_acc": val, "student_acc": test}]}))
        return {"seed": cfg.seed, "student_acc": test, "mean_student_acc": test,
                "wall_seconds": 1.0}

    monkeypatch.setattr(grid_module, "run_or_load", fake_run)
    result = grid_search("ddad", {"bn": [0.1, 10.0]}, profile="smoke", seeds=(0, 1),
                         out_root=tmp_path, teacher=(None, {}))
    assert result["chosen"] == 0
    assert result["points"][0]["val_final"] == pytest.approx(0.9)
    assert result["points"][1]["test_final"] == pytest.approx(0.95)
    table = grid_table(result)
    assert "<- chosen" in table.splitlines()[2] and "validation" in table


def test_grid_cli_runs_a_smoke_grid_and_writes_its_table(tmp_path, teacher_cache):
    out = tmp_path / "grid"
    code = main(["grid", "--profile", "smoke", "--grid", "bn=0.5,2", "--out", str(out),
                 "--cache-dir", str(teacher_cache), "--set", "iterations=2",
                 "--no-progress"])
    assert code == 0
    result = json.loads((out / "grid.json").read_text())
    assert [p["settings"]["bn"] for p in result["points"]] == [0.5, 2.0]
    assert all(p["val_final"] is not None for p in result["points"])
    assert "<- chosen" in (out / "grid.md").read_text()


def test_grid_cli_refuses_a_malformed_grid_in_one_line(tmp_path, capsys):
    assert main(["grid", "--grid", "bn", "--out", str(tmp_path)]) == 2
    assert "--grid takes name=v1,v2" in capsys.readouterr().err
