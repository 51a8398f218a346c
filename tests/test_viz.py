"""viz: static figures have content and come back closed; widgets build from fake snapshots
and follow the slider."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ddad_lite.viz as viz  # noqa: E402
from ddad_lite.data import dataset_info, get_dataset  # noqa: E402
from ddad_lite.lessons.inversion import measure_bn  # noqa: E402

CLASSES = tuple(f"c{i}" for i in range(10))


def fake_snapshots(n=3, size=12):
    g = torch.Generator().manual_seed(0)
    out = []
    for k in range(n):
        t = torch.randint(0, 10, (size,), generator=g)
        s = t.clone()
        s[: k + 1] = (s[: k + 1] + 1) % 10  # S disagrees with T on k + 1 images
        out.append({"iteration": 10 * (k + 1),
                    "images": torch.randint(0, 256, (size, 3, 8, 8), dtype=torch.uint8,
                                            generator=g),
                    "teacher_pred": t, "student_pred": s,
                    "teacher_conf": torch.rand(size, generator=g),
                    "student_conf": torch.rand(size, generator=g),
                    "teacher_class_entropy": 0.9})
    return out


def fake_mask_snapshots(n=2, size=4, pixels=8, num_classes=6):
    g = torch.Generator().manual_seed(1)
    return [{"iteration": 5 * (k + 1),
             "images": torch.randint(0, 256, (size, 3, pixels, pixels), dtype=torch.uint8,
                                     generator=g),
             "teacher_pred": torch.randint(0, num_classes, (size, pixels, pixels),
                                           generator=g).to(torch.uint8),
             "student_pred": torch.randint(0, num_classes, (size, pixels, pixels),
                                           generator=g).to(torch.uint8)}
            for k in range(n)]


def drawn(fig):
    assert isinstance(fig, Figure)
    return sum(len(ax.images) + len(ax.lines) + len(ax.collections) + len(ax.patches)
               for ax in fig.axes)


def test_image_figures_draw_every_image():
    snaps = fake_snapshots()
    fig = viz.snapshot_figure(snaps[0], class_names=CLASSES)
    assert drawn(fig) == 12
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert all(t.startswith("T: ") and "\nS: " in t for t in titles)
    frames = [s["images"] for s in snaps]
    assert drawn(viz.frames_figure(frames, [1, 2, 3])) == 3


def test_class_filter_keeps_only_that_class():
    snap = fake_snapshots()[0]
    c = int(snap["teacher_pred"][0])
    fig = viz.snapshot_figure(snap, class_names=CLASSES, class_filter=c)
    assert drawn(fig) == int((snap["teacher_pred"] == c).sum())


def test_curve_figures_plot_histories():
    history = {"train": [{"iteration": i, "loss_S": 1 / i, "loss_G": -1 / i, "loss_bn": 2 / i}
                         for i in range(1, 6)],
               "eval": [{"iteration": i, "student_acc": 0.1 * i} for i in (2, 4)],
               "bn_layers": [{"iteration": i, "a": 1.0 / i, "b": 2.0 / i} for i in (1, 5)]}
    assert drawn(viz.history_figure(history, teacher_score=0.9)) >= 4
    assert drawn(viz.compare_curves({"x": history, "y": history})) >= 4
    fig = viz.history_figure(history)  # L_S, L_G and L_BN each on its own axis, then the score
    assert [len(ax.lines) for ax in fig.axes] == [1, 1, 1, 1]
    assert "L_BN" in fig.axes[2].get_title() and "L_S" in fig.axes[0].get_title()
    assert drawn(viz.bn_layers_over_time(history["bn_layers"])) == 2
    assert drawn(viz.loss_curve([3.0, 2.0, 1.0], log=True)) == 1


def test_seed_curves_draw_each_seed_the_mean_and_both_bounds():
    curves = {s: [(0, 0.1 * s), (10, 0.3 + 0.1 * s)] for s in (0, 1, 2)}
    ax = viz.seed_curves_figure(curves, upper=0.95, lower=0.15, teacher_score=0.99).axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert sum(label.startswith("DDAD, seed") for label in labels) == 3
    mean = next(line for line in ax.lines if "mean of 3" in line.get_label())
    assert list(mean.get_ydata()) == pytest.approx([0.1, 0.4])
    assert any("uses data" in label and "0.950" in label for label in labels)
    assert any("frozen" in label and "0.150" in label for label in labels)


def test_bn_figures_from_a_real_teacher(shapes_teacher):
    teacher, _ = shapes_teacher
    rows = measure_bn(teacher, torch.randn(8, 3, 32, 32))
    assert rows and all(r["R"] > 0 for r in rows)
    assert not any(m._forward_hooks for m in teacher.modules())  # hooks removed
    fig = viz.bn_match_figure(rows, max_layers=3)
    assert drawn(fig) >= 6  # a scatter and a diagonal per panel
    assert drawn(viz.bn_layer_bars({r["name"]: r["R"] for r in rows})) == len(rows)


def test_snapshot_browser_follows_slider_and_filter():
    snaps = fake_snapshots()
    browser = viz.snapshot_browser(snaps, class_names=CLASSES)
    assert browser.step.value == 2 and "iteration 30" in browser.caption.value
    last_png, last_caption = bytes(browser.image.value), browser.caption.value
    assert last_png.startswith(b"\x89PNG")
    browser.step.value = 0  # as a user moving the slider
    assert "iteration 10" in browser.caption.value
    assert bytes(browser.image.value) != last_png and browser.caption.value != last_caption
    first = snaps[0]
    assert browser.predictions() == [(CLASSES[int(t)], CLASSES[int(s)]) for t, s in
                                     zip(first["teacher_pred"], first["student_pred"],
                                         strict=True)]
    c = int(first["teacher_pred"][3])
    browser.class_filter.value = c
    assert all(t == CLASSES[c] for t, _ in browser.predictions())
    assert len(browser.predictions()) == int((first["teacher_pred"] == c).sum())
    assert drawn(browser.figure()) == len(browser.predictions())


def test_snapshot_browser_reads_a_run_folder(tmp_path):
    torch.save(fake_snapshots(), tmp_path / "snapshots.pt")
    browser = viz.snapshot_browser(tmp_path)
    assert len(browser.step.options) == 3
    with pytest.raises(ValueError):
        viz.snapshot_browser([])


def test_frame_browser_follows_slider():
    frames = [s["images"] for s in fake_snapshots()]
    browser = viz.frame_browser(frames, [0, 5, 10])
    before = bytes(browser.image.value)
    browser.step.value = 0
    assert "iteration 0" in browser.caption.value and bytes(browser.image.value) != before


# ---- every figure of the family comes back closed ------------------------------------------
def tiny_bn_teacher():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3),
                        nn.BatchNorm2d(4))
    net[1].running_mean.fill_(0.3)
    return net.eval()


def every_figure():
    """(name, call) for every figure function and browser that viz exports."""
    snaps, masks = fake_snapshots(), fake_mask_snapshots()
    frames = [s["images"] for s in snaps]
    history = {"train": [{"iteration": i, "loss_S": 1 / i} for i in range(1, 4)],
               "eval": [{"iteration": i, "student_acc": 0.2 * i, "student_miou": 0.1 * i}
                        for i in (1, 3)],
               "bn_layers": [{"iteration": 1, "a": 1.0}]}
    rows = measure_bn(tiny_bn_teacher(), torch.randn(4, 3, 8, 8))
    scenes = dataset_info("scenes")
    summary = [{"method": m, "final": 0.5, "mean": 0.4, "best": 0.6, "final_std": 0.0,
                "mean_std": 0.0, "best_std": 0.0, "forgetting": 0.1, "forgetting_std": 0.0,
                "wall_seconds": 3.0, "wall_seconds_std": 0.0} for m in ("a", "b")]
    curve_rows = [{"method": m, "seed": s, "curve": [(0, 0.1 * s), (10, 0.3)]}
                  for m in ("a", "b") for s in (0, 1)]
    memory = {"replay_memory_bytes": 2**20, "replay_equivalent_samples_bytes": 2**24,
              "replay_equivalent_samples_bytes_float32": 2**26, "replay_samples_seen": 5000}
    toy, toy_data = fake_toy_results()
    return {
        "image_grid": lambda: viz.image_grid(snaps[0]["images"], labels=[1] * 12),
        "snapshot_figure": lambda: viz.snapshot_figure(snaps[0], class_names=CLASSES),
        "frames_figure": lambda: viz.frames_figure(frames, [1, 2, 3]),
        "dataset_grid": lambda: viz.dataset_grid(get_dataset("shapes", "test", size=40),
                                                 info=dataset_info("shapes"), per_class=1),
        "loss_curve": lambda: viz.loss_curve([3.0, 2.0]),
        "history_figure": lambda: viz.history_figure(history, teacher_score=0.9),
        "compare_curves": lambda: viz.compare_curves({"x": history}),
        "seed_curves_figure": lambda: viz.seed_curves_figure(
            {0: [(0, 0.1), (10, 0.5)], 1: [(0, 0.2), (10, 0.6)]}, upper=0.9, lower=0.2),
        "reference_figure": lambda: viz.reference_figure(
            {"ddad": {"0": {"iteration": [1, 3], "test": [0.2, 0.7]},
                      "1": {"iteration": [1, 3], "test": [0.3, 0.8]}}},
            live={"ddad": history, "dfad": history}, teacher_score=0.9),
        "bn_match_figure": lambda: viz.bn_match_figure(rows),
        "bn_layer_bars": lambda: viz.bn_layer_bars({r["name"]: r["R"] for r in rows}),
        "bn_layers_over_time": lambda: viz.bn_layers_over_time(history["bn_layers"]),
        "mask_figure": lambda: viz.mask_figure(masks[0], scenes, n=3),
        "ground_truth_figure": lambda: viz.ground_truth_figure(
            nn.Conv2d(3, scenes.num_classes, 1), get_dataset("scenes", "test", size=4), scenes,
            n=2),
        "accuracy_curves": lambda: viz.accuracy_curves(curve_rows),
        "replay_samples_figure": lambda: viz.replay_samples_figure(frames[0], frames[1], n=4),
        "replay_memory_figure": lambda: viz.replay_memory_figure(memory),
        "method_comparison_figure": lambda: viz.method_comparison_figure(summary),
        "generator_control_figure": lambda: viz.generator_control_figure(
            {"a": [dict(s, teacher_effective_classes=2.0, teacher_logit_norm=9.0)
                   for s in snaps]}, real_logit_norm=12.0, num_classes=10),
        "soft_targets_figure": lambda: viz.soft_targets_figure([5.0, 2.0, -1.0],
                                                               class_names=("a", "b", "c")),
        "snapshot_browser": lambda: viz.snapshot_browser(snaps, class_names=CLASSES),
        "frame_browser": lambda: viz.frame_browser(frames, [1, 2, 3]),
        "mask_browser": lambda: viz.mask_browser(masks, scenes, n=2),
        "toy_step_figure": lambda: viz.toy_step_figure(toy, toy_data),
        "toy_frames_figure": lambda: viz.toy_frames_figure(toy, toy_data, columns=2),
        "toy_curves_figure": lambda: viz.toy_curves_figure(toy, teacher_acc=0.9),
        "toy_browser": lambda: viz.toy_browser(toy, toy_data),
    }


def fake_toy_results(size=6):
    """Two methods, two frames each, in the form lessons.toy2d.distill_toy returns."""
    g = torch.Generator().manual_seed(2)
    data = {"test_x": torch.randn(20, 2, generator=g), "test_y": torch.arange(20) % 2}
    results = {m: {"method": m, "alpha": 1.0, "beta": b, "box": 3.0,
                   "teacher_grid": torch.rand(size, size, generator=g),
                   "frames": [{"iteration": it, "points": torch.randn(8, 2, generator=g),
                               "student_grid": torch.rand(size, size, generator=g),
                               "student_acc": 0.5, "loss_S": 1.0, "loss_G": 1.0,
                               "loss_bn": 2.0 + it, "loss_adv": 0.5 + it} for it in (0, 5)]}
               for m, b in (("a", 0.0), ("b", 1.0))}
    return results, data


# What viz exports that makes no figure.
NOT_FIGURES = {"FrameBrowser", "MaskBrowser", "SnapshotBrowser", "ToyBrowser", "colorize",
               "layer_statistics", "load_snapshots",
               "browser_animation",  # HTML, tried in test_animation.py
               "toy_animation",  # HTML, tried in test_toy2d.py
               "soft_targets"}


def test_replay_memory_figure_draws_the_equal_bytes_buffer_beside_the_vae():
    memory = {"replay_memory_bytes": 2**20, "replay_equivalent_samples_bytes": 2**24,
              "replay_equivalent_samples_bytes_float32": 2**26, "replay_samples_seen": 5000}
    buffer = {"buffer_memory_bytes": 2**20 - 7, "buffer_capacity_images": 341}
    for extra, bars in ((None, 3), (buffer, 4)):
        ax = viz.replay_memory_figure(memory, extra).axes[0]
        assert len(ax.patches) == bars
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("341" in label and "buffer" in label for label in labels)


def test_every_figure_function_is_tried_below():
    assert set(every_figure()) == set(viz.__all__) - NOT_FIGURES


@pytest.mark.parametrize("name", sorted(every_figure()))
def test_every_figure_comes_back_closed(name):
    plt.close("all")
    made = every_figure()[name]()
    assert plt.get_fignums() == [], f"{name} left a figure open in pyplot"
    fig = made.figure() if hasattr(made, "figure") and callable(made.figure) else made
    assert drawn(fig) > 0
    assert plt.get_fignums() == []


def test_soft_targets_flatten_with_temperature_and_keep_the_ranking():
    logits = torch.tensor([6.0, 3.0, 1.0, -2.0])
    cold, warm, hot = (viz.soft_targets(logits, tau) for tau in (1, 4, 10))
    torch.testing.assert_close(cold, torch.softmax(logits.double(), 0))
    assert cold.max() > warm.max() > hot.max()  # the top class gives mass away
    assert cold[1] < warm[1] < hot[1]  # to the runner-up: the dark knowledge
    for p in (cold, warm, hot):
        assert torch.equal(p.argsort(), logits.argsort())
    with pytest.raises(ValueError):
        viz.soft_targets(logits, 0)
    fig = viz.soft_targets_figure(logits, temperatures=(1, 4, 10))
    assert [len(ax.patches) for ax in fig.axes] == [4, 4, 4]


def test_the_reference_figure_draws_every_seed_their_mean_and_the_live_run():
    per_seed = {"0": {"iteration": [1, 3], "test": [0.2, 0.6]},
                "1": {"iteration": [1, 3], "test": [0.4, 0.8]}}
    history = {"eval": [{"iteration": 1, "student_acc": 0.1},
                        {"iteration": 2, "student_acc": 0.3}]}
    fig = viz.reference_figure({"ddad": per_seed}, live={"ddad": history})
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    mean = lines["ddad: reference, 2 seeds (thin) and mean"]
    assert list(mean.get_ydata()) == pytest.approx([0.3, 0.7])
    live = lines["ddad: your run"]
    assert list(live.get_ydata()) == [0.1, 0.3] and live.get_linestyle() == "--"
    assert live.get_color() == mean.get_color()  # the run in its reference's colour
