"""What a person sees in a browser, checked without one: image grids whose captions stay
clear of the row above, titles that count what is shown, and browsers that show their picture
at its own pixel size instead of stretched to the cell's width."""

import struct

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

import ddad_lite.viz as viz  # noqa: E402
from ddad_lite.viz.widgets import png_size  # noqa: E402

CLASSES = ("a", "b", "c", "d")


def snapshot(n=16, pixels=8):
    g = torch.Generator().manual_seed(0)
    t = torch.arange(n) % 4
    s = t.clone()
    s[t != 0] = (s[t != 0] + 1) % 4  # S agrees with T only on class a
    return {"iteration": 7, "images": torch.randint(0, 256, (n, 3, pixels, pixels),
                                                     dtype=torch.uint8, generator=g),
            "teacher_pred": t, "student_pred": s}


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_captions_of_a_two_row_grid_clear_the_images_above():
    fig = viz.snapshot_figure(snapshot(), class_names=CLASSES, ncols=8)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == 16
    pictures = [ax.images[0].get_window_extent(renderer) for ax in axes]
    for k, ax in enumerate(axes[8:], start=8):
        caption = ax.title.get_window_extent(renderer)
        for above in pictures[:8]:
            assert not overlaps(caption, above), f"caption {k} lies under a picture above it"
    title = fig._suptitle.get_window_extent(renderer)
    assert all(not overlaps(title, ax.title.get_window_extent(renderer)) for ax in axes[:8])
    assert 0 <= title.x0 and title.x1 <= fig.bbox.width, "the title is cut"


def test_the_title_counts_agreement_over_the_filtered_images():
    snap = snapshot()
    title = viz.snapshot_figure(snap, class_names=CLASSES, class_filter=0)._suptitle.get_text()
    assert "4 images" in title and "100%" in title
    title = viz.snapshot_figure(snap, class_names=CLASSES)._suptitle.get_text()
    assert "16 images" in title and "25%" in title


def test_snapshot_browser_shows_its_png_at_its_own_size():
    browser = viz.snapshot_browser([snapshot()], class_names=CLASSES)
    assert browser.layout.align_items == "flex-start"  # the VBox does not stretch the image
    assert browser.image.layout.max_width == "none"  # nor does the page shrink a wide one
    width, height = png_size(browser.image.value)
    assert browser.image.width == str(width) and browser.image.height == str(height)
    browser.class_filter.value = 1
    narrower = png_size(browser.image.value)
    assert narrower[0] < width and browser.image.width == str(narrower[0])


def test_png_size_reads_the_header():
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 3, 5)
    assert png_size(header + b"\0" * 8) == (3, 5)


def test_the_caption_under_the_snapshot_browser_is_a_summary_not_every_pair():
    browser = viz.snapshot_browser([snapshot()], class_names=CLASSES)
    caption = browser.caption.value
    assert "16 images" in caption and caption.count(" / S ") <= 4


def test_an_empty_class_shows_its_whole_title_in_a_small_picture():
    snap = snapshot()
    snap["teacher_pred"][:] = 1  # no image of class a
    fig = viz.snapshot_figure(snap, class_names=CLASSES, class_filter=0)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    title = fig._suptitle.get_window_extent(canvas.get_renderer())
    assert "0 images" in fig._suptitle.get_text()
    assert 0 <= title.x0 and title.x1 <= fig.bbox.width, "the title is cut"
    assert fig.get_figwidth() < 6 and fig.get_figheight() < 2.5


def test_the_animation_twin_fetches_nothing():
    frames = [torch.full((4, 1, 8, 8), 60 * k, dtype=torch.uint8) for k in range(3)]
    html = viz.frame_browser(frames, [0, 5, 10]).animation().data
    assert "<img" in html and "fa fa-" not in html
    assert "https://" not in html and "http://" not in html
