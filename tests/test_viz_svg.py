"""Every figure a notebook shows is also written as an SVG file (viz/svg.py): a viz figure
displayed in an IPython shell leaves a valid SVG in the lesson's figures folder, and nothing
in the notebook's output."""

import xml.etree.ElementTree as ET

import matplotlib.pyplot as plt
import pytest

import ddad_lite.viz as viz
from ddad_lite.lessons.setup import setup
from ddad_lite.viz.svg import MIME, figure_title, save_shown_figures, slug


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    yield ip
    ip.display_formatter.formatters.pop(MIME, None)
    InteractiveShell.clear_instance()


def _is_svg(path) -> bool:
    return ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_a_shown_viz_figure_is_written_as_svg(shell, tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "07_from_an_earlier_run.svg").write_text("<svg/>")
    writer = save_shown_figures(tmp_path / "figures", shell=shell)
    # The inline backend starts after setup, on a notebook's first figure, and then pops
    # Figure from every display formatter: the SVG copies must survive that.
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"})
    fig = viz.loss_curve([3.0, 2.0, 1.5, 1.2], title="pixel inversion: L_BN", ylabel="L_BN")
    data, _ = shell.display_formatter.format(fig)  # what display(fig) and a cell's value do
    assert MIME not in data  # the notebook's output is unchanged
    assert [p.name for p in writer.written] == ["01_pixel-inversion-l-bn.svg"]
    # the earlier run's SVG is gone: the folder holds this run's figures only
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [writer.written[0].name]
    assert _is_svg(writer.written[0])


def test_a_pyplot_figure_and_an_untitled_one_are_numbered_in_order(shell, tmp_path):
    writer = save_shown_figures(tmp_path, shell=shell)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    fig.suptitle("|grad of L_BN| on noise")
    shell.display_formatter.format(fig)
    bare, _ = plt.subplots()
    shell.display_formatter.format(bare)
    plt.close("all")
    assert [p.name for p in writer.written] == ["01_grad-of-l-bn-on-noise.svg", "02_figure.svg"]
    assert all(_is_svg(p) for p in writer.written)


def test_outside_ipython_setup_writes_no_figures(tmp_path):
    lesson = setup("smoke", out_dir=tmp_path / "out", cache_dir=tmp_path / "c",
                   data_root=tmp_path / "d")
    assert lesson.figures == lesson.out / "figures" and not lesson.figures.exists()


def test_titles_and_names():
    fig, ax = plt.subplots()
    ax.set_title("DDAD: R_l over training")
    assert figure_title(fig) == "DDAD: R_l over training"
    plt.close(fig)
    assert slug("DDAD: R_l over training") == "ddad-r-l-over-training"
    assert slug("   ") == "figure"
