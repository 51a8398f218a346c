"""The command line: user mistakes end in one line on stderr, exit 2, and leave files intact."""

import hashlib
import json
import subprocess
import sys

import pytest
import torch
from conftest import PROJECT_ROOT

from ddad_lite.cli.main import main


def run_cli(*args, env_cache=None, cwd=None):
    env = {"PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}
    if env_cache:
        env["DDAD_CACHE"] = str(env_cache)
    return subprocess.run([sys.executable, "-m", "ddad_lite", *args], capture_output=True,
                          text=True, cwd=cwd or PROJECT_ROOT, env=env, timeout=600)


def folder_digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def assert_one_line_error(result, *phrases):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert lines[0].startswith("error: ")
    for phrase in phrases:
        assert phrase in lines[0]


@pytest.mark.parametrize("flag,value,phrase", [
    ("--dataset", "imagenet22k", "unknown dataset 'imagenet22k'"),
    ("--method", "magic", "unknown method 'magic'"),
    ("--profile", "huge", "unknown profile 'huge'"),
])
def test_unknown_names_are_one_line_errors(tmp_path, flag, value, phrase):
    result = run_cli("distill", flag, value, "--out", str(tmp_path / "run"))
    assert_one_line_error(result, phrase, "choose one of")
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, shapes_teacher):
    """A finished smoke run made in-process with the shared teacher, then read by the CLI."""
    from ddad_lite.config.building import make_config
    from ddad_lite.runs.run import run_distillation
    from ddad_lite.teacher import teacher_path

    out = tmp_path_factory.mktemp("run")
    cfg = make_config("shapes", "ddad", "smoke", progress=False)
    # Place the shared teacher where the CLI's cache will look for the smoke recipe.
    cache = tmp_path_factory.mktemp("cache")
    model, record = shapes_teacher
    run_distillation(cfg, out, teacher=(model, record))
    path = teacher_path(cfg.teacher_recipe, cache / "teachers")
    return out, cache, path


def test_distill_writes_metrics_and_history(finished_run):
    out, _, _ = finished_run
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("dataset", "method", "profile", "teacher", "student", "teacher_acc",
                "student_acc", "best_student_acc", "mean_student_acc", "iterations",
                "wall_seconds", "images_per_second", "seed", "torch_version", "device",
                "git_commit", "config"):
        assert key in metrics, key
    assert 0 <= metrics["student_acc"] <= 1 and metrics["config"]["method"] == "ddad"
    history = json.loads((out / "history.json").read_text())
    assert history["eval"] and history["train"]
    saved = torch.load(out / "checkpoint.pt", weights_only=True)["config"]
    assert json.loads(json.dumps(saved)) == metrics["config"]


def test_an_existing_run_is_not_overwritten(finished_run):
    out, cache, _ = finished_run
    before = folder_digest(out)
    result = run_cli("distill", "--profile", "smoke", "--out", str(out), env_cache=cache)
    assert_one_line_error(result, "already holds a run", "--resume")
    assert folder_digest(out) == before


def test_resume_with_another_config_is_refused(finished_run):
    out, cache, _ = finished_run
    before = folder_digest(out)
    result = run_cli("distill", "--profile", "smoke", "--out", str(out), "--resume",
                     "--alpha", "3", env_cache=cache)
    assert_one_line_error(result, "cannot resume", "method_settings.ddad.bn: 1.0 -> 3.0")
    assert folder_digest(out) == before


def test_corrupted_checkpoint_is_refused_and_left_alone(finished_run, tmp_path):
    out, cache, _ = finished_run
    broken = tmp_path / "broken"
    broken.mkdir()
    data = bytearray((out / "checkpoint.pt").read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    (broken / "checkpoint.pt").write_bytes(bytes(data[: len(data) - 100]))
    before = folder_digest(broken)
    result = run_cli("distill", "--profile", "smoke", "--out", str(broken), "--resume",
                     env_cache=cache)
    assert_one_line_error(result, "corrupted", "checkpoint")
    assert folder_digest(broken) == before


def test_resume_without_a_checkpoint_says_what_to_do(tmp_path):
    result = run_cli("distill", "--profile", "smoke", "--out", str(tmp_path / "none"),
                     "--resume")
    assert_one_line_error(result, "does not exist", "without --resume")


def test_main_returns_2_for_user_errors(capsys, tmp_path):
    assert main(["distill", "--dataset", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown dataset" in capsys.readouterr().err


def test_run_files_get_the_usual_permissions(finished_run):
    import os

    out, _, _ = finished_run
    mask = os.umask(0)
    os.umask(mask)
    assert (out / "metrics.json").stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize("args, phrase", [
    (["--method", "dfad", "--alpha", "1"], "dfad fixes bn"),
    (["--method", "dafl", "--alpha", "1"], "dafl fixes bn"),
    (["--set", "bnn=2"], "did you mean 'bn'"),
    (["--set", "iterations=many"], "'iterations' must be int"),
    (["--set", "lr_student=nan"], "'lr_student' must be float"),
    (["--set", "bn"], "--set takes name=value"),
])
def test_settings_that_contradict_the_method_or_do_not_exist_are_refused(tmp_path, args,
                                                                         phrase):
    assert main(["distill", "--profile", "smoke", "--out", str(tmp_path / "run"), *args]) == 2
    assert not (tmp_path / "run").exists()


def test_help_settings_lists_every_setting_of_the_method(capsys):
    assert main(["distill", "--method", "deepinv+replay", "--help-settings"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert {"iterations", "bn", "pixel_lr", "replay_fraction", "discrepancy"} <= set(names)
