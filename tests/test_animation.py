"""viz/animation.py: a browser's animation twin has one frame per slider step (capped, ends
kept), each the picture of the browser's `figure()` at that step, a JavaScript player, a
bounded size, and leaves the slider and pyplot as they were."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from IPython.display import HTML  # noqa: E402
from test_viz import CLASSES, fake_mask_snapshots, fake_snapshots  # noqa: E402

import ddad_lite.viz as viz  # noqa: E402
from ddad_lite.data import dataset_info  # noqa: E402
from ddad_lite.viz.animation import browser_frames, frame_steps, rasterise  # noqa: E402


def noise_frames(steps, images=32, pixels=32):
    g = torch.Generator().manual_seed(0)
    return [torch.randint(0, 256, (images, 3, pixels, pixels), dtype=torch.uint8, generator=g)
            for _ in range(steps)]


def test_frame_steps_cap_and_keep_both_ends():
    assert frame_steps(5, max_frames=20) == [0, 1, 2, 3, 4]
    steps = frame_steps(101, max_frames=20)
    assert len(steps) == 20 and steps[0] == 0 and steps[-1] == 100
    assert steps == sorted(set(steps))
    with pytest.raises(ValueError):
        frame_steps(0)


def test_each_frame_is_the_browsers_figure_at_that_step():
    browser = viz.snapshot_browser(fake_snapshots(n=3), class_names=CLASSES)
    browser.step.value = 1
    before = browser.image.value
    labels, frames = browser_frames(browser, dpi=30)
    assert labels == ["10", "20", "30"]
    for k, frame in enumerate(frames):
        expected = rasterise(viz.snapshot_figure(browser.snapshots[k], class_names=CLASSES),
                             dpi=30)
        np.testing.assert_array_equal(frame[:expected.shape[0], :expected.shape[1]], expected)
    assert not np.array_equal(frames[0], frames[2])  # the steps differ
    assert browser.step.value == 1 and browser.image.value == before  # slider put back
    browser.step.value = 2  # and the widget still follows it
    assert browser.image.value != before


@pytest.mark.parametrize("make", [
    lambda: viz.snapshot_browser(fake_snapshots(n=3), class_names=CLASSES),
    lambda: viz.frame_browser(noise_frames(3, images=4, pixels=8), [1, 2, 3]),
    lambda: viz.mask_browser(fake_mask_snapshots(n=3), dataset_info("scenes"), n=2),
], ids=["snapshot", "frame", "mask"])
def test_every_browser_has_an_animation_twin_with_a_player(make):
    browser = make()
    plt.close("all")
    html = browser.animation(dpi=30)
    assert isinstance(html, HTML)
    assert "<script" in html.data and "Animation" in html.data  # the JS player
    assert html.data.count("data:image/jpeg;base64,") == 3  # one frame per step
    assert plt.get_fignums() == []


def test_twenty_noisy_frames_stay_under_two_megabytes():
    """The worst case for compression: 32 images of 32x32 uniform noise per frame, 30 steps
    capped to 20 frames at the default dpi."""
    browser = viz.frame_browser(noise_frames(30), list(range(0, 300, 10)))
    html = browser.animation()
    assert html.data.count("data:image/jpeg;base64,") == 20
    assert len(html.data.encode()) < 2_000_000
