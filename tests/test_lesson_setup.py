"""A notebook's setup in one call: `lesson = setup(profile, ...)` prints the device, makes the
run folder, seeds torch, turns progress bars off in smoke runs and moves to the hosted GPU on
Colab or Binder (never for a CPU-only lesson)."""

import torch

import ddad_lite.lessons.setup as lesson_setup
from ddad_lite.lessons.setup import Lesson, setup


def test_setup_makes_the_folders_seeds_and_prints_the_device(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BINDER_LAUNCH_HOST", raising=False)
    lesson = setup("smoke", device="cpu", out_dir=tmp_path / "runs" / "00_x", seed=3,
                   cache_dir=tmp_path / "teachers", data_root=tmp_path / "data")
    assert isinstance(lesson, Lesson)
    assert lesson.device == "cpu" and lesson.seed == 3 and lesson.profile == "smoke"
    assert lesson.progress is False and lesson.hosted is False
    assert lesson.out == (tmp_path / "runs" / "00_x").resolve() and lesson.out.is_dir()
    assert lesson.paths["out_dir"] == lesson.out
    assert lesson.paths["cache_dir"] == (tmp_path / "teachers").resolve()
    assert lesson.paths["data_root"] == (tmp_path / "data").resolve()
    assert lesson.paths["shared_runs"] == lesson.out.parent / "shared_runs"
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1 and "cpu" in printed[0].lower()
    drawn = torch.rand(3)
    torch.manual_seed(3)
    assert torch.equal(drawn, torch.rand(3))  # the notebook's own draws are seeded
    assert setup("quick", out_dir=tmp_path / "q").progress is True


def test_hosted_moves_to_the_gpu_unless_the_lesson_is_cpu_only(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    monkeypatch.setattr(lesson_setup, "notebook_device", lambda: "cuda")
    monkeypatch.setattr(lesson_setup, "describe_device", lambda device: f"device {device}")
    hosted = setup("quick", out_dir=tmp_path / "a")
    assert hosted.hosted and hosted.device == "cuda"
    assert capsys.readouterr().out == "device cuda\n"
    asked = setup("quick", device="cuda:1", out_dir=tmp_path / "b")  # a device chosen stays
    assert asked.device == "cuda:1"
    capsys.readouterr()
    toy = setup("quick", out_dir=tmp_path / "c", cpu_only=True)
    assert toy.device == "cpu" and capsys.readouterr().out == ""
