"""The comparison helper: rows per (method, seed), summaries over seeds, a markdown table,
and finished runs read back instead of rerun."""

import json

import pytest

from ddad_lite.compare import compare_methods, markdown_table, summarize
from ddad_lite.config import make_config
from ddad_lite.errors import UserError
from ddad_lite.runs.store import run_folder, run_or_load


def test_compare_methods_on_the_smoke_profile(shapes_teacher, tmp_path):
    kw = dict(profile="smoke", teacher=shapes_teacher, iterations=2, eval_every=1,
              eval_size=100)
    rows = compare_methods(["dfad", "dafl+replay"], seeds=(0, 1), out_root=tmp_path, **kw)
    assert [(r["method"], r["seed"]) for r in rows] == [
        ("dfad", 0), ("dfad", 1), ("dafl+replay", 0), ("dafl+replay", 1)]
    for r in rows:
        assert 0 <= r["final"] <= 1 and r["best"] >= r["final"] and r["best"] >= r["mean"]
        assert r["forgetting"] >= 0 and r["wall_seconds"] > 0
        assert [it for it, _ in r["curve"]] == [1, 2]
    assert "replay_memory_bytes" in rows[2] and "replay_memory_bytes" not in rows[0]
    assert rows[0]["curve"] != rows[1]["curve"] or rows[0]["final"] == rows[1]["final"]

    summary = summarize(rows)
    assert [e["method"] for e in summary] == ["dfad", "dafl+replay"]
    assert summary[0]["seeds"] == 2
    assert summary[0]["final"] == pytest.approx((rows[0]["final"] + rows[1]["final"]) / 2)
    table = markdown_table(summary)
    assert table.count("\n") == 3 and "| dafl+replay | 2 |" in table

    # A finished run is read back, not rerun; another config gets a folder of its own.
    again = compare_methods(["dfad"], seeds=(0,), out_root=tmp_path, **kw)
    assert again[0]["wall_seconds"] == rows[0]["wall_seconds"]
    assert again[0]["run_dir"] == rows[0]["run_dir"]
    longer = compare_methods(["dfad"], seeds=(0,), out_root=tmp_path, **{**kw, "iterations": 3})
    assert longer[0]["run_dir"] != rows[0]["run_dir"] and longer[0]["iterations"] == 3


def test_run_or_load_refuses_a_folder_of_another_config(shapes_teacher, tmp_path):
    cfg = make_config("shapes", "ddad", "smoke", iterations=2, eval_every=2, eval_size=100,
                      progress=False)
    first = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    again = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)  # read back, not rerun
    assert again == json.loads(before["metrics.json"])
    assert again["wall_seconds"] == first["wall_seconds"]
    other = make_config("shapes", "ddad", "smoke", iterations=3, eval_every=3, eval_size=100,
                        progress=False)
    with pytest.raises(UserError, match="another config.*iterations"):
        run_or_load(other, tmp_path / "run", teacher=shapes_teacher)
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before
    # Runtime fields (progress, device, ...) do not change what is trained: same folder.
    quiet = make_config("shapes", "ddad", "smoke", iterations=2, eval_every=2, eval_size=100,
                        progress=True)
    assert run_folder(tmp_path, quiet) == run_folder(tmp_path, cfg)
    assert run_folder(tmp_path, other) != run_folder(tmp_path, cfg)


def test_compare_methods_needs_methods():
    with pytest.raises(UserError, match="at least one method"):
        compare_methods([])
