"""The widget notebooks in a real browser: JupyterLab started here, Debian's chromium driven by
Playwright (tests/browser_harness.py). Skipped, with one line saying what to install, when
Playwright or chromium is missing; `.ci/run` installs both.

(a) every committed notebook opens in JupyterLab unmodified (no dirty mark, the file's bytes
    unchanged after its kernel started);
(b) each widget notebook (smoke profile) runs all its cells with no error output and no console
    error; every image browser shows its picture at its own pixel size (an integer scale), and
    moving its slider (and the snapshot browser's class filter) changes the picture and the
    caption. Screenshots before and after each move go to runs/browser/.
"""

import time

import browser_harness as harness
import pytest
from conftest import copy_teacher_cache

from ddad_lite.paths import NOTEBOOKS_DIR

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WHY_NOT = harness.missing()
if WHY_NOT:
    pytest.skip(WHY_NOT, allow_module_level=True)

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
# The notebooks with image browsers, and how many browsers each shows.
WIDGET_NOTEBOOKS = {"01_toy_2d": 1, "02_bn_statistics": 2, "03_dual_discriminator": 1,
                    "05_segmentation": 1}


@pytest.fixture(scope="module")
def lab(tmp_path_factory, smoke_series):
    root = tmp_path_factory.mktemp("lab")
    # The notebooks' default teacher cache (root/checkpoints/teachers, the kernels running in
    # root/notebooks) holds a copy of the smoke series' teachers: they are loaded, not trained
    # again; what is checked here is the widgets in the browser.
    copy_teacher_cache(smoke_series[1]["cache_dir"], root / "checkpoints" / "teachers")
    clean = root / "clean"
    clean.mkdir()
    committed = {}
    for path in NOTEBOOKS:
        committed[path.name] = path.read_bytes()
        (clean / path.name).write_bytes(committed[path.name])
    for name in WIDGET_NOTEBOOKS:
        harness.smoke_copy(NOTEBOOKS_DIR / f"{name}.ipynb", root / "notebooks")
    harness.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with harness.lab_server(root, log=root / "lab.log") as (url, token):
        with harness.chromium_page() as (page, errors):
            yield {"root": root, "url": url, "token": token, "page": page, "errors": errors,
                   "committed": committed}


def test_every_notebook_opens_unmodified(lab):
    page = lab["page"]
    for path in NOTEBOOKS:
        copy = lab["root"] / "clean" / path.name
        harness.open_notebook(page, lab["url"], lab["token"], f"clean/{path.name}")
        time.sleep(2)  # the kernel's info reply has come; anything it changes shows now
        if harness.is_dirty(page):
            page.keyboard.press("Control+s")  # save, to say what changed
            time.sleep(3)
            pytest.fail(f"{path.name} is marked modified on opening; saved, it differs from "
                        f"the committed file: {copy.read_bytes() != lab['committed'][path.name]}")
        assert copy.read_bytes() == lab["committed"][path.name], f"{path.name} was rewritten"
    assert not lab["errors"], lab["errors"]


def browser_state(widget) -> dict:
    """What the browser widget shows: its image's source and sizes and its caption."""
    return widget.evaluate("""w => {
        const img = w.querySelector('img.widget-image');
        return {src: img.src, natural: [img.naturalWidth, img.naturalHeight],
                shown: [img.getBoundingClientRect().width, img.getBoundingClientRect().height],
                caption: w.querySelector('.widget-html-content').textContent};
    }""")


def wait_change(widget, before: dict, timeout_s: float = 120) -> dict:
    """The widget's state once both its image and its caption differ from `before`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = browser_state(widget)
        if now["src"] != before["src"] and now["caption"] != before["caption"] \
                and now["natural"][0] > 0:
            return now
        time.sleep(0.5)
    raise AssertionError(f"the picture or the caption did not change: {before['caption']!r}")


def assert_native_scale(state: dict):
    (nw, nh), (sw, sh) = state["natural"], state["shown"]
    assert nw > 0 and nh > 0, "the image did not load"
    scale = sw / nw
    assert abs(scale - round(scale)) < 0.02 and round(scale) >= 1, \
        f"shown at {scale:.2f}x its pixel size ({nw}x{nh} drawn as {sw:.0f}x{sh:.0f})"
    assert abs(sh / nh - scale) < 0.02, "stretched unevenly"


@pytest.mark.parametrize("name", sorted(WIDGET_NOTEBOOKS))
def test_widget_notebook_runs_and_its_browsers_follow_their_controls(lab, name):
    page, errors = lab["page"], lab["errors"]
    errors.clear()
    harness.open_notebook(page, lab["url"], lab["token"], f"notebooks/{name}.ipynb")
    harness.run_all(page, timeout_s=600)
    assert harness.error_outputs(page) == []
    widgets = page.locator(".jp-OutputArea-output .widget-vbox:has(img.widget-image)")
    assert widgets.count() == WIDGET_NOTEBOOKS[name]
    for k in range(widgets.count()):
        widget = widgets.nth(k)
        widget.scroll_into_view_if_needed()
        shot = harness.SCREENSHOTS / f"{name}_browser{k}"
        before = browser_state(widget)
        assert_native_scale(before)
        widget.screenshot(path=f"{shot}_0_start.png")
        handle = widget.locator(".noUi-handle").first
        handle.focus()
        page.keyboard.press("Home")  # the slider to its first iteration
        after = wait_change(widget, before)
        assert_native_scale(after)
        widget.screenshot(path=f"{shot}_1_slider_first.png")
        dropdown = widget.locator("select")
        if dropdown.count():
            options = dropdown.locator("option").all_text_contents()
            dropdown.select_option(label=options[1])  # the first class instead of "all"
            filtered = wait_change(widget, after)
            assert_native_scale(filtered)
            assert f"T says {options[1]}" in filtered["caption"] or filtered["natural"] != \
                after["natural"]
            widget.screenshot(path=f"{shot}_2_class_{options[1]}.png")
    page.screenshot(path=str(harness.SCREENSHOTS / f"{name}_page.png"), full_page=False)
    assert not errors, errors
