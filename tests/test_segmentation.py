"""Segmentation: models, mIoU, the scenes dataset, distillation end to end, CamVid, notebook 04."""

import json
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import PROJECT_ROOT, SHARED_DATA

from ddad_lite.config import make_config
from ddad_lite.data import dataset_info, get_dataset
from ddad_lite.data.scenes import CLASS_NAMES, make_scenes
from ddad_lite.metrics import confusion_matrix, miou
from ddad_lite.models import build
from ddad_lite.runs.run import run_distillation

SEGMENTATION_MODELS = ["segnet_teacher", "segnet_student", "deeplabv3_mobilenetv2",
                       "deeplabv3_resnet50"]


@pytest.mark.parametrize("name", SEGMENTATION_MODELS)
def test_model_returns_logits_at_the_input_size(name):
    model = build(name, num_classes=5).eval()
    for size in ((32, 32), (37, 50)):  # any size, e.g. whole frames after 128-pixel training
        out = model(torch.randn(2, 3, *size))
        assert isinstance(out, torch.Tensor)
        assert out.shape == (2, 5, *size)
        assert torch.isfinite(out).all()


def test_miou_by_hand_with_an_ignored_pixel():
    target = torch.tensor([[0, 0, 1],
                           [1, 2, 255]])
    pred = torch.tensor([[0, 1, 1],
                         [1, 2, 0]])  # the last pixel is wrong but ignored
    m = confusion_matrix(pred, target, 3, ignore_index=255)
    assert m.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    scores = miou(m)
    # IoU_0 = 1 / (2 + 1 - 1) = 1/2, IoU_1 = 2 / (2 + 3 - 2) = 2/3, IoU_2 = 1
    assert scores["per_class_iou"] == pytest.approx([1 / 2, 2 / 3, 1.0])
    assert scores["miou"] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert scores["pixel_acc"] == pytest.approx(4 / 5)


def test_miou_leaves_out_classes_absent_from_labels_and_predictions():
    scores = miou(confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 1]), 4))
    assert scores["per_class_iou"][2:] == [None, None]
    assert scores["miou"] == pytest.approx(1.0)


def test_scenes_are_deterministic_with_valid_labels_and_every_class():
    images_a, masks_a = make_scenes(300, seed=7)
    images_b, masks_b = make_scenes(300, seed=7)
    assert torch.equal(images_a, images_b) and torch.equal(masks_a, masks_b)
    assert not torch.equal(masks_a, make_scenes(300, seed=8)[1])
    assert int(masks_a.max()) < len(CLASS_NAMES)
    assert set(masks_a.unique().tolist()) == set(range(len(CLASS_NAMES)))
    info = dataset_info("scenes")
    assert info.task == "segmentation" and info.embedded
    x, y = get_dataset("scenes", "test", size=4)[0]
    assert x.shape == (3, info.image_size, info.image_size) and x.dtype == torch.float32
    assert y.shape == (info.image_size, info.image_size) and y.dtype == torch.long


def test_scenes_smoke_distillation_writes_miou(tmp_path, teacher_cache):
    cfg = make_config("scenes", "ddad", "smoke", progress=False)
    assert cfg.generator_discrepancy == "log_l1"
    metrics = run_distillation(cfg, tmp_path / "run", cache_dir=teacher_cache)
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    for key in ("teacher_miou", "student_miou", "mean_student_miou", "best_student_miou"):
        assert 0.0 <= saved[key] <= 1.0, key
    assert saved["teacher_miou"] == metrics["teacher_miou"]
    snapshots = torch.load(tmp_path / "run" / "snapshots.pt", weights_only=False)
    size = dataset_info("scenes").image_size
    snap = snapshots[-1]
    assert snap["teacher_pred"].dtype == torch.uint8
    assert snap["student_pred"].shape == (cfg.snapshot_size, size, size)


@pytest.mark.shared_data
def test_camvid_smoke_distillation_from_the_shared_archive(tmp_path):
    archive = SHARED_DATA / "camvid-jpeg.zip"
    if not archive.exists():
        pytest.skip(f"{archive} is absent")
    env_cmd = [sys.executable, "-m", "ddad_lite"]
    root, cache, out = tmp_path / "data", tmp_path / "cache", tmp_path / "run"
    subprocess.run(env_cmd + ["data", "prepare", "camvid", "--from", str(archive),
                              "--data-root", str(root), "--no-progress"],
                   check=True, cwd=PROJECT_ROOT, capture_output=True)
    done = subprocess.run(env_cmd + ["distill", "--dataset", "camvid", "--profile", "smoke",
                                     "--data-root", str(root), "--cache-dir", str(cache),
                                     "--out", str(out), "--no-progress"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["teacher_miou"] <= 1.0
    assert 0.0 <= metrics["student_miou"] <= 1.0
    assert metrics["teacher"] == "deeplabv3_resnet50"
    assert metrics["student"] == "deeplabv3_mobilenetv2"


def _kernel_installed() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager

    if "ddad-lite" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix",
                        "--name", "ddad-lite", "--display-name", "ddad-lite"],
                       check=True, capture_output=True)
    return True


@pytest.mark.slow
def test_notebook_04_runs_in_the_smoke_profile(tmp_path):
    papermill = pytest.importorskip("papermill")
    assert _kernel_installed()
    notebook = PROJECT_ROOT / "notebooks" / "04_segmentation.ipynb"
    out_dir = tmp_path / "out"
    papermill.execute_notebook(
        str(notebook), str(tmp_path / "04.ipynb"), kernel_name="ddad-lite",
        cwd=str(PROJECT_ROOT),
        parameters={"profile": "smoke", "out_dir": str(out_dir),
                    "cache_dir": str(tmp_path / "cache")},
        progress_bar=False, execution_timeout=300)
    figures = json.loads((out_dir / "key_figures.json").read_text())
    assert 0.0 <= figures["teacher_miou"] <= 1.0
    assert 0.0 <= figures["student_miou"] <= 1.0
    shutil.rmtree(out_dir)
