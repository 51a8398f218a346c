"""Honest numbers: runs reused only with the same teacher; teacher and student scored on the
same test examples; a validation split (carved from train, never the test split) chooses the
best; several seeds summarised; a collapse measure comparable across class counts."""

import copy
import json
import statistics

import pytest
import torch

from ddad_lite.cli.main import main
from ddad_lite.config.building import make_config
from ddad_lite.config.recipes import RECIPES
from ddad_lite.data import get_dataset
from ddad_lite.data.validation import training_indices, validation_indices, validation_split
from ddad_lite.lessons.budgets import LESSON_BUDGETS, lesson_budget
from ddad_lite.metrics import (
    accuracy,
    class_entropy,
    effective_classes,
    eval_loader,
    mean_logit_norm,
    selected_summary,
)
from ddad_lite.models import build
from ddad_lite.runs.store import run_or_load
from ddad_lite.teacher import TEACHER_FORMAT, teacher_path, weights_digest

TINY_RUN = dict(iterations=2, eval_every=1, eval_size=100, val_size=60, snapshot_every=2,
                progress=False)


def other_teacher(seed: int):
    torch.manual_seed(seed)
    model = build("convnet_teacher", num_classes=10, channels=3).eval()
    return model, {"accuracy": None, "sha256": None}


# ---- 1. the teacher decides reuse ----------------------------------------------------------

def test_a_cached_run_of_another_teacher_is_retrained_and_says_why(shapes_teacher, tmp_path):
    cfg = make_config("shapes", "ddad", "smoke", **TINY_RUN)
    first = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)
    assert first["teacher_weights_sha256"] == weights_digest(shapes_teacher[0])
    again = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)  # same teacher: read back
    assert again["wall_seconds"] == first["wall_seconds"] and "retrained_because" not in again

    swapped = run_or_load(cfg, tmp_path / "run", teacher=other_teacher(7))
    assert swapped["retrained_because"] == "teacher sha256 differs"
    assert swapped["teacher_weights_sha256"] != first["teacher_weights_sha256"]
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert written == json.loads(json.dumps(swapped))
    kept = json.loads((tmp_path / "run" / "replaced-1" / "metrics.json").read_text())
    assert kept["teacher_weights_sha256"] == first["teacher_weights_sha256"]


def test_a_run_that_records_no_teacher_is_retrained(shapes_teacher, tmp_path):
    cfg = make_config("shapes", "ddad", "smoke", **TINY_RUN)
    run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)
    path = tmp_path / "run" / "metrics.json"
    older = json.loads(path.read_text())
    del older["teacher_weights_sha256"]  # as an earlier version wrote it
    path.write_text(json.dumps(older))
    again = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)
    assert again["retrained_because"] == "the run records no teacher weights sha256"


def test_the_weights_digest_ignores_what_else_the_file_holds(tmp_path):
    model, _ = other_teacher(1)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    for name, seconds in (("a.pt", 1.0), ("b.pt", 2.0)):  # a retrained, identical teacher
        torch.save({"format": TEACHER_FORMAT, "state_dict": state, "train_seconds": seconds},
                   tmp_path / name)
    assert (tmp_path / "a.pt").read_bytes() != (tmp_path / "b.pt").read_bytes()
    loaded = [torch.load(tmp_path / n, weights_only=True)["state_dict"] for n in ("a.pt", "b.pt")]
    assert weights_digest(loaded[0]) == weights_digest(loaded[1]) == weights_digest(model)
    changed = copy.deepcopy(model)
    with torch.no_grad():
        next(changed.parameters()).view(-1)[0] += 1e-6
    assert weights_digest(changed) != weights_digest(model)
    assert weights_digest(other_teacher(2)[0]) != weights_digest(model)


# ---- 2. the same test examples -------------------------------------------------------------

@pytest.mark.parametrize("dataset", sorted(RECIPES))
def test_quick_and_full_score_the_student_on_the_whole_test_split(dataset):
    for profile in ("quick", "full"):
        cfg = make_config(dataset, "ddad", profile)
        assert cfg.eval_size is None and cfg.teacher_recipe.eval_size is None, profile
        assert cfg.val_size > 0 and cfg.teacher_recipe.val_size == cfg.val_size
    assert lesson_budget("quick").get("eval_size") is None and "eval_size" not in LESSON_BUDGETS[
        "full"]


def test_the_teacher_is_scored_on_the_students_test_examples(shapes_teacher, tmp_path):
    cfg = make_config("shapes", "ddad", "smoke", **TINY_RUN)
    metrics = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)
    test = get_dataset("shapes", "test")
    assert metrics["test_images"] == 100 and metrics["val_images"] == 60
    expected = accuracy(shapes_teacher[0], eval_loader(test, size=100))
    assert metrics["teacher_acc"] == pytest.approx(expected)
    assert metrics["teacher_acc_cached"] == shapes_teacher[1]["accuracy"]
    # T's logit scale on real test images and on G's last snapshot are both reported
    assert metrics["teacher_logit_norm_real"] == pytest.approx(
        mean_logit_norm(shapes_teacher[0], eval_loader(test, size=100)))
    assert metrics["teacher_logit_norm_final"] > 0


# ---- 3. the validation split ---------------------------------------------------------------

def test_validation_is_carved_from_train_deterministically_and_held_out_of_the_teacher():
    val = validation_indices(1000, size=100, seed=0)
    assert val == validation_indices(1000, size=100, seed=0) and len(set(val)) == 100
    assert val != validation_indices(1000, size=100, seed=1)
    train = training_indices(1000, size=100, seed=0)
    assert not set(val) & set(train) and sorted(set(val) | set(train)) == list(range(1000))
    assert validation_indices(1000, size=0, seed=0) == [] and validation_split(
        "shapes", size=0, seed=0) is None


@pytest.mark.parametrize("dataset", ["shapes", "scenes"])
def test_the_validation_split_never_overlaps_the_test_split(dataset):
    val = validation_split(dataset, size=200, seed=0)
    test = get_dataset(dataset, "test")
    assert len(val) == 200
    test_images = {test[i][0].numpy().tobytes() for i in range(len(test))}
    assert not any(val[i][0].numpy().tobytes() in test_images for i in range(len(val)))


def test_the_best_is_chosen_on_validation_and_only_reported_on_test():
    test, val = [0.5, 0.9, 0.6], [0.7, 0.6, 0.8]
    s = selected_summary(test, val)
    assert (s["best"], s["best_val"], s["best_index"], s["selected_on"]) == (0.6, 0.8, 2,
                                                                           "validation")
    assert s["best_on_test"] == 0.9 and s["final"] == 0.6 and s["mean"] == pytest.approx(2 / 3)
    without = selected_summary(test)  # val_size 0: the published way, labelled so
    assert without["best"] == 0.9 and without["selected_on"] == "test"


def test_a_run_reports_the_test_score_of_the_validation_best(shapes_teacher, tmp_path):
    cfg = make_config("shapes", "ddad", "smoke", **TINY_RUN)
    metrics = run_or_load(cfg, tmp_path / "run", teacher=shapes_teacher)
    evals = json.loads((tmp_path / "run" / "history.json").read_text())["eval"]
    assert all("val_student_acc" in e for e in evals)
    chosen = max(evals, key=lambda e: e["val_student_acc"])
    assert metrics["best_iteration"] == chosen["iteration"]
    assert metrics["best_student_acc"] == chosen["student_acc"]
    assert metrics["val_best_student_acc"] == chosen["val_student_acc"]
    assert metrics["best_on_test_student_acc"] == max(e["student_acc"] for e in evals)
    assert "validation" in metrics["best_selected_on"]


# ---- 4. several seeds ----------------------------------------------------------------------

def test_distill_seeds_runs_each_seed_and_summarises_them(shapes_teacher, tmp_path, capsys):
    # The session's shared teacher (the half-width convnet) stands in for the recipe's.
    run = {**TINY_RUN, "teacher": "convnet_teacher_half"}
    cfg = make_config("shapes", "ddad", "smoke", **run)
    cache = tmp_path / "cache"
    model, record = shapes_teacher
    path = teacher_path(cfg.teacher_recipe, cache)  # the shared teacher where the CLI looks
    path.parent.mkdir(parents=True)
    torch.save({"format": TEACHER_FORMAT, "state_dict": model.state_dict(),
                "accuracy": record["accuracy"]}, path)
    sets = [a for k, v in run.items() if k != "progress" for a in ("--set", f"{k}={v}")]
    out = tmp_path / "seeds"
    code = main(["distill", "--profile", "smoke", "--seeds", "0,1", "--out", str(out),
                 "--cache-dir", str(cache), "--no-progress", *sets])
    assert code == 0
    finals = [json.loads((out / f"seed_{s}" / "metrics.json").read_text())["student_acc"]
              for s in (0, 1)]
    summary = json.loads((out / "summary.json").read_text())["summary"][0]
    assert summary["seed_values"] == [0, 1] and summary["points"]["final"] == finals
    assert summary["final"] == pytest.approx(statistics.fmean(finals))
    assert summary["final_std"] == pytest.approx(statistics.stdev(finals))
    assert summary["selected_on"] == "validation"
    table = (out / "summary.md").read_text()
    assert "| ddad | 2 |" in table and "validation split" in table
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])[0]["seeds"] == 2


def test_seed_and_seeds_together_are_refused(tmp_path, capsys):
    assert main(["distill", "--seed", "1", "--seeds", "0,1", "--out", str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err


# ---- 5. the collapse measure ---------------------------------------------------------------

def test_the_collapse_measure_is_comparable_across_class_counts():
    uniform_10 = torch.arange(10).repeat(10)
    uniform_100 = torch.arange(100)
    assert class_entropy(uniform_10, 10) == pytest.approx(1.0)
    assert class_entropy(uniform_100, 100) == pytest.approx(class_entropy(uniform_10, 10))
    # A batch smaller than the class count: all different is as spread as it can be.
    assert class_entropy(torch.arange(32), 100) == pytest.approx(1.0)
    assert effective_classes(uniform_10, 10) == pytest.approx(10)
    assert effective_classes(uniform_100, 100) == pytest.approx(100)
    collapsed = torch.zeros(64, dtype=torch.long)
    assert class_entropy(collapsed, 10) == 0.0 == class_entropy(collapsed, 100)
    assert effective_classes(collapsed, 100) == pytest.approx(1.0)
    half = torch.tensor([0, 1] * 16)  # two equally frequent classes out of 10
    assert class_entropy(half, 10) == pytest.approx(torch.log(torch.tensor(2.0)).item()
                                                    / torch.log(torch.tensor(10.0)).item())


def test_mean_logit_norm_reads_the_scale_of_the_logits():
    import torch
    from torch.utils.data import DataLoader, TensorDataset


    class Scale(torch.nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k

        def forward(self, x):
            return self.k * x

    x = torch.zeros(20, 4)
    x[:, 0] = 3.0  # every "logit" vector has norm 3
    loader = DataLoader(TensorDataset(x, torch.zeros(20)), batch_size=8)
    assert abs(mean_logit_norm(Scale(1.0), loader) - 3.0) < 1e-6
    assert abs(mean_logit_norm(Scale(5.0), loader, max_images=8) - 15.0) < 1e-6
