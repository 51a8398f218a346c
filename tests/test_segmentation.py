"""Segmentation: models, mIoU, the scenes dataset, distillation end to end, CamVid, notebook 05."""

import json
import subprocess
import sys

import pytest
import torch
from conftest import PROJECT_ROOT, SHARED_DATA

from ddad_lite.config.building import make_config
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
    assert cfg.method_settings["ddad"]["generator_discrepancy"] == "log_l1"
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


def test_mask_figures_and_browser_show_images_and_both_masks():
    import matplotlib.pyplot as plt

    import ddad_lite.viz as viz

    info = dataset_info("scenes")
    g = torch.Generator().manual_seed(0)
    snapshots = [{"iteration": it,
                  "images": torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8, generator=g),
                  "teacher_pred": torch.randint(0, 6, (4, 8, 8), generator=g).to(torch.uint8),
                  "student_pred": torch.randint(0, 6, (4, 8, 8), generator=g).to(torch.uint8)}
                 for it in (10, 20)]
    snapshots[0]["student_pred"] = snapshots[0]["teacher_pred"].clone()  # full agreement
    fig = viz.mask_figure(snapshots[0], info, n=3)
    assert sum(len(ax.images) for ax in fig.axes) == 9  # images, T's masks, S's masks
    assert [ax.get_title() for ax in fig.axes[6:9]] == ["agree 100%"] * 3
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(CLASS_NAMES)

    browser = viz.mask_browser(snapshots, info, n=3)
    assert "iteration 20" in browser.caption.value
    last = bytes(browser.image.value)
    browser.step.value = 0  # as a user moving the slider
    assert "iteration 10" in browser.caption.value and "100%" in browser.caption.value
    assert bytes(browser.image.value) != last and bytes(browser.image.value).startswith(b"\x89PNG")
    assert sum(len(ax.images) for ax in browser.figure().axes) == 9

    model = build("segnet_student", num_classes=info.num_classes)
    fig = viz.ground_truth_figure(model, get_dataset("scenes", "test", size=4), info, n=2)
    assert sum(len(ax.images) for ax in fig.axes) == 6  # images, labels, predictions
    assert plt.get_fignums() == []


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


@pytest.mark.slow
def test_notebook_05_runs_in_the_smoke_profile(smoke_series):
    """Notebook 05 as the runner executes it in the smoke profile (papermill, the kit's
    kernel): the series shared by the session (tests/conftest.py), not a second execution."""
    _, results = smoke_series
    (row,) = [r for r in results["notebooks"] if r["notebook"] == "05_segmentation"]
    assert row["status"] == "ok"
    figures = row["key_figures"]
    assert 0.0 <= figures["teacher_miou"] <= 1.0
    assert 0.0 <= figures["student_miou"] <= 1.0


def test_dfad_student_is_dfads_mobilenet_deeplab():
    from ddad_lite.models.mobilenet import stage_plan

    # DFAD's lagging dilations at output stride 8: stages of 64, 96, 160, 320 channels.
    assert [(c, s, d) for _, c, _, s, d in stage_plan(8)][3:] == [(64, 1, 1), (96, 1, 2),
                                                                  (160, 1, 2), (320, 1, 4)]
    dfad = build("deeplabv3_mobilenetv2", num_classes=11)
    tv = build("deeplabv3_mobilenetv2", num_classes=11, backbone="torchvision",
               atrous_rates=(12, 24, 36))
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert dfad.head[0].convs[0][0].in_channels == 320  # no 1280-channel tail
    assert tv.head[0].convs[0][0].in_channels == 1280
    assert count(dfad) < 0.5 * count(tv)
    rates = [m[0].dilation[0] for m in dfad.head[0].convs[1:4]]
    assert rates == [12, 24, 32]
    assert [m.p for m in dfad.modules() if isinstance(m, torch.nn.Dropout)] == [0.5]
    x = torch.randn(1, 3, 40, 56)
    assert dfad.eval()(x).shape == (1, 11, 40, 56)
    assert dfad.forward_features(x).shape[-2:] == (5, 7)  # output stride 8
