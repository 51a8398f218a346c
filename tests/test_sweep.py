"""The sweep: rows per (method, seed), summaries over seeds, a markdown table, finished runs
read back instead of rerun, and the loss weights read from a config's method settings."""

import json
from pathlib import Path

import pytest

from ddad_lite.config.building import make_config
from ddad_lite.errors import UserError
from ddad_lite.runs import sweep as sweep_module
from ddad_lite.runs.store import run_folder, run_or_load
from ddad_lite.runs.sweep import ABLATION_METHODS, loss_weights, summarize, sweep, sweep_table


def stub_metrics(method: str, seed: int, final: float) -> dict:
    """metrics.json of a finished run, in the shape the engine writes it."""
    settings = {"bn": 0.0 if method == "dfad" else 1.0,
                "adversarial": 0.0 if method == "bn_only" else 1.0, "onehot": 0.0}
    return {"method": method, "seed": seed, "student_acc": final, "mean_student_acc": final - 0.1,
            "best_student_acc": final + 0.05, "forgetting_max_drop": 0.02 * (seed + 1),
            "teacher_class_entropy_final": 1.5, "wall_seconds": 10.0 + seed,
            "train_seconds": 8.0, "teacher_acc": 0.95, "iterations": 4,
            "config": {"method": method, "method_settings": {method.split("+")[0]: settings}}}


def test_loss_weights_read_the_base_methods_settings():
    config = {"method": "ddad+replay",
              "method_settings": {"ddad": {"bn": 1.0, "adversarial": 0.5, "onehot": 0.0},
                                  "replay": {"warmup": 10, "vae_lr": 1e-3}}}
    assert loss_weights(config) == {"bn": 1.0, "adversarial": 0.5}
    assert loss_weights({"method": "dafl", "method_settings": {"dafl": {"onehot": 1.0}}}) == {
        "bn": None, "adversarial": None}


def test_the_ablation_sweep_rows_summary_and_table(monkeypatch, tmp_path):
    finals = {("bn_only", 0): 0.6, ("bn_only", 1): 0.8, ("dfad", 0): 0.1, ("dfad", 1): 0.1,
              ("ddad", 0): 0.7, ("ddad", 1): 0.9}
    calls = []

    def fake_run_or_load(cfg, run_dir, *, teacher=None):
        calls.append((cfg.method, cfg.seed, cfg.iterations, teacher))
        return stub_metrics(cfg.method, cfg.seed, finals[cfg.method, cfg.seed])

    history = {"eval": [{"iteration": 2, "student_acc": 0.3}, {"iteration": 4, "student_acc": 0.5}]}
    monkeypatch.setattr(sweep_module, "run_or_load", fake_run_or_load)
    monkeypatch.setattr(sweep_module, "load_history", lambda run_dir: history)
    rows = sweep(ABLATION_METHODS, seeds=(0, 1), teacher="T", out_root=tmp_path, iterations=4)
    assert [(r["method"], r["seed"]) for r in rows] == [
        (m, s) for m in ABLATION_METHODS for s in (0, 1)]
    assert calls[0] == ("bn_only", 0, 4, "T")  # the teacher and overrides reach every run
    ddad = rows[4]
    assert ddad["final"] == 0.7 and ddad["best"] == pytest.approx(0.75)
    assert ddad["weights"] == {"bn": 1.0, "adversarial": 1.0} and ddad["class_entropy"] == 1.5
    assert ddad["curve"] == [(2, 0.3), (4, 0.5)] and ddad["history"] is history
    assert ddad["run_dir"].startswith(str(tmp_path))

    summary = summarize(rows)
    assert [e["method"] for e in summary] == list(ABLATION_METHODS)
    bn_only = summary[0]
    assert bn_only["seeds"] == 2 and bn_only["weights"] == {"bn": 1.0, "adversarial": 0.0}
    assert bn_only["final"] == pytest.approx(0.7)
    assert bn_only["final_std"] == pytest.approx(0.1414, abs=1e-4)  # stdev of 0.6 and 0.8
    assert bn_only["wall_seconds"] == 10.5 and summary[1]["final_std"] == 0.0

    table = sweep_table(summary, weights=True, entropy=True).splitlines()
    assert table[0] == ("| method | seeds | w_bn | w_adv | final (%) | mean (%) | best* (%) | "
                        "forgetting (%) | class entropy (H/ln C) | effective classes | "
                        "wall time (s) |")
    assert table[2] == "| bn_only | 2 | 1 | 0 | 70.0 ± 14.1 | 60.0 ± 14.1 | 75.0 ± 14.1 | " \
                       "3.0 ± 1.4 | 1.50 ± 0.00 |  | 10 ± 1 |"
    assert table[-1].startswith("*best: the maximum over evaluations")
    single = sweep_table(summarize(rows[:1]), percent=False).splitlines()
    assert single[2] == "| bn_only | 1 | 0.600 | 0.500 | 0.650 | 0.020 | 10 |"


def test_sweep_on_the_smoke_profile(shapes_teacher, tmp_path):
    kw = dict(profile="smoke", teacher=shapes_teacher, iterations=2, eval_every=1,
              eval_size=100)
    rows = sweep(["dfad", "ddad+replay"], seeds=(0, 1), out_root=tmp_path, **kw)
    assert [(r["method"], r["seed"]) for r in rows] == [
        ("dfad", 0), ("dfad", 1), ("ddad+replay", 0), ("ddad+replay", 1)]
    for r in rows:
        # best: the test score of the evaluation chosen on validation, so within the curve;
        # best_on_test: the curve's maximum.
        scores = [score for _, score in r["curve"]]
        assert 0 <= r["final"] <= 1 and r["best"] in scores and r["selected_on"] == "validation"
        assert r["best_on_test"] == max(scores) >= r["mean"]
        assert r["forgetting"] >= 0 and r["wall_seconds"] > 0
        assert [it for it, _ in r["curve"]] == [1, 2] and r["history"]["eval"]
    assert "replay_memory_bytes" in rows[2] and "replay_memory_bytes" not in rows[0]
    assert rows[2]["replay_samples_seen"] > 0
    assert rows[0]["curve"] != rows[1]["curve"] or rows[0]["final"] == rows[1]["final"]

    summary = summarize(rows)
    assert [e["method"] for e in summary] == ["dfad", "ddad+replay"]
    assert summary[0]["seeds"] == 2
    assert summary[0]["final"] == pytest.approx((rows[0]["final"] + rows[1]["final"]) / 2)
    table = sweep_table(summary)
    assert table.count("\n") == 5 and "| ddad+replay | 2 |" in table

    # A finished run is read back, not rerun; another config gets a folder of its own.
    again = sweep(["dfad"], seeds=(0,), out_root=tmp_path, **kw)
    assert again[0]["wall_seconds"] == rows[0]["wall_seconds"]
    assert again[0]["run_dir"] == rows[0]["run_dir"]
    longer = sweep(["dfad"], seeds=(0,), out_root=tmp_path, **{**kw, "iterations": 3})
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


def test_a_sweep_needs_methods():
    with pytest.raises(UserError, match="at least one method"):
        sweep([])


class FakeRun:
    """Stands for `python -m ddad_lite.runs.sweep JOB`: finishes after two polls, writing the
    run's metrics and history as a real run would."""

    live: list = []
    most_at_once = 0
    devices: list = []

    def __init__(self, command, *, stdout, stderr, env):
        assert command[1:3] == ["-m", "ddad_lite.runs.sweep"] and "OMP_NUM_THREADS" in env
        self.job = json.loads(command[3])
        self.polls, self.returncode = 0, None
        FakeRun.live.append(self)
        FakeRun.devices.append(self.job["device"])
        FakeRun.most_at_once = max(FakeRun.most_at_once, len(FakeRun.live))

    def poll(self):
        self.polls += 1
        if self.polls < 2:
            return None
        FakeRun.live.remove(self)
        out = Path(self.job["run_dir"])
        out.mkdir(parents=True, exist_ok=True)
        final = 0.5 + 0.1 * self.job["seed"]
        (out / "metrics.json").write_text(json.dumps(
            stub_metrics(self.job["method"], self.job["seed"], final)))
        (out / "history.json").write_text(json.dumps({"eval": []}))
        self.returncode = 0
        return 0


def test_a_sweep_over_devices_queues_one_process_per_run(monkeypatch, tmp_path):
    monkeypatch.setattr(sweep_module, "load_or_train_teacher", lambda *a, **k: None)
    monkeypatch.setattr(sweep_module.subprocess, "Popen", FakeRun)
    FakeRun.live, FakeRun.most_at_once, FakeRun.devices = [], 0, []
    rows = sweep(["ddad", "dfad"], seeds=(0, 1, 2), devices=["cpu", "cpu"], out_root=tmp_path,
                 profile="smoke", iterations=3)
    assert FakeRun.most_at_once == 2 and FakeRun.devices == ["cpu"] * 6  # two at a time
    assert [(r["method"], r["seed"]) for r in rows] == [
        (m, s) for m in ("ddad", "dfad") for s in (0, 1, 2)]
    summary = summarize(rows)
    assert summary[0]["final"] == pytest.approx(0.6)
    assert summary[0]["points"]["final"] == pytest.approx([0.5, 0.6, 0.7])
    assert (tmp_path / "logs").is_dir()
    with pytest.raises(UserError, match="--devices, --seeds"):
        sweep(["ddad"], devices=["cpu"], out_root=tmp_path, device="cuda")
