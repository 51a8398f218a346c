"""`make site`: an executed series (here two tiny notebooks, executed by the runner) rendered
as static HTML that works from disk: an index with the results table, links to every page and
the provenance; pages with their figures as data, no script from the network, and a note in
place of a widget's live view (its static and animation twins stay). In chromium (skipped
without it): every page opens with no console error, no broken link, every image loaded."""

import re
from pathlib import Path

import browser_harness as harness
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ddad_lite.errors import UserError
from ddad_lite.paths import SOURCE_ROOT
from ddad_lite.series.reproduce import reproduce
from ddad_lite.series.site import build_site

FIGURE_CELL = """\
import json, pathlib
import matplotlib.pyplot as plt
import torch
import ddad_lite.viz as viz
frames = [torch.full((4, 1, 8, 8), 40 * k, dtype=torch.uint8) for k in range(3)]
browser = viz.frame_browser(frames, [0, 5, 10])
display(browser)
display(browser.figure())
display(browser.animation())
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([0, 1], [1, 0])
pathlib.Path(out_dir, 'key_figures.json').write_text(json.dumps({'student_acc': 0.5}))
"""


def tiny(path: Path, body: str):
    params = new_code_cell('profile = "quick"\ndevice = "cpu"\nout_dir = "x"\n'
                           'cache_dir = None\ndata_root = None\nseed = 0')
    params.metadata["tags"] = ["parameters"]
    nbformat.write(new_notebook(cells=[new_markdown_cell(f"# {path.stem}\n\n$x^2$"), params,
                                       new_code_cell(body), new_markdown_cell("the end")]),
                   path)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    nbs = root / "nbs"
    nbs.mkdir()
    tiny(nbs / "00_figures.ipynb", FIGURE_CELL)
    tiny(nbs / "01_text.ipynb", "print('hello')")
    reproduce(profile="smoke", out_root=root / "runs", notebooks_dir=nbs, html=False,
              cache_dir=root / "teachers", timeout=300)
    out = root / "site"
    (out).mkdir()
    (out / "99_gone.html").write_text("stale")
    return build_site(series=root / "runs" / "smoke", out=out)


def test_the_index_tabulates_links_and_provenance(site):
    text = site.read_text()
    assert "href='00_figures.html'" in text and "href='01_text.html'" in text
    assert "student_acc 0.5" in text and "git_commit" in text and "smoke" in text
    assert not (site.parent / "99_gone.html").exists(), "a stale page stays"


def test_pages_carry_their_figures_and_fetch_nothing(site):
    page = (site.parent / "00_figures.html").read_text()
    assert page.count("data:image/png;base64") >= 2  # the static twin and the plot
    assert "An interactive browser stands here" in page
    assert "widget-view+json" not in page
    assert not re.search(r"<script[^>]*src=[\"']https?:", page)
    assert "href='index.html'" in page and "next: 01_text" in page


def test_a_missing_series_is_one_line(tmp_path):
    with pytest.raises(UserError, match="make reproduce"):
        build_site(series=tmp_path / "nothing", out=tmp_path / "site")


def open_every_page(pages):
    """Open each page in chromium: every image loads, every local link exists, no console
    error."""
    with harness.chromium_page() as (page, errors):
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            broken = page.evaluate("""() => [...document.images]
                .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))""")
            assert broken == [], f"{path.name}: images that did not load: {broken}"
            links = page.evaluate("""() => [...document.querySelectorAll('a[href]')]
                .map(a => a.href).filter(h => h.startsWith('file:'))""")
            for link in links:
                target = Path(link.split("#")[0].removeprefix("file://"))
                assert target.exists(), f"{path.name} links to a missing {target}"
            if path.name == "00_figures.html":  # the animation twin's player runs
                assert page.locator(".anim-controls, .animation").count() > 0 or \
                    "anim" in page.content()
        assert not errors, errors


@pytest.mark.browser
@pytest.mark.skipif(harness.missing() is not None, reason=str(harness.missing()))
def test_every_page_opens_in_chromium(site):
    pages = sorted(site.parent.glob("*.html"))
    assert len(pages) == 3
    open_every_page(pages)


BUILT_SITE = SOURCE_ROOT / "site"


@pytest.mark.browser
@pytest.mark.skipif(harness.missing() is not None, reason=str(harness.missing()))
@pytest.mark.skipif(not (BUILT_SITE / "index.html").exists(),
                    reason="no site/ here: `make reproduce && make site` builds the real one")
def test_the_built_site_opens_in_chromium():
    """After `make reproduce && make site`: the real series' pages, the same checks."""
    pages = sorted(BUILT_SITE.glob("*.html"))
    assert len(pages) > 1
    open_every_page(pages)
