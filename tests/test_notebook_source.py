"""The notebooks' source: every committed notebook is its percent script built now, the parser
reads the format as documented, and `--check` catches a notebook edited away from its script."""

import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from ddad_lite.series.notebook_source import (
    KERNELSPEC,
    LANGUAGE_INFO,
    NOTEBOOKS_DIR,
    SourceError,
    build_notebook,
    notebook_text,
    parse_percent,
    sources,
    sync,
    to_percent,
)

SOURCES = sources()

SCRIPT = '''# %% [markdown]
# # A title
#
# Some *markdown*, with an empty line above.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
text = """
# %% not a marker: inside a string
"""

x = 1  # a blank line above is kept

# %% [markdown] custom={"a": 1}
# The end.
'''


def test_every_notebook_has_a_source():
    notebooks = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert [s.stem for s in SOURCES] == [p.stem for p in notebooks]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_notebook_is_its_source_built_now(source):
    committed_path = NOTEBOOKS_DIR / f"{source.stem}.ipynb"
    committed = nbformat.read(committed_path, as_version=4)
    built = build_notebook(source)
    assert committed.metadata == built.metadata
    assert committed.metadata["kernelspec"] == KERNELSPEC
    assert committed.metadata["language_info"] == LANGUAGE_INFO
    assert [(c.id, c.cell_type, c.metadata, c.source) for c in committed.cells] == \
        [(c.id, c.cell_type, c.metadata, c.source) for c in built.cells]
    assert [c.id for c in built.cells] == [f"nb{source.stem[:2]}-cell{i:02d}"
                                           for i in range(len(built.cells))]
    # Byte for byte too: rebuilding (or opening and saving in JupyterLab) changes nothing.
    assert committed_path.read_text(encoding="utf-8") == notebook_text(built), \
        "run `make notebooks`"


def test_parser_reads_markdown_code_tags_and_strings():
    cells = parse_percent(SCRIPT)
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "code", "markdown"]
    assert cells[0]["source"] == ("# A title\n\nSome *markdown*, with an empty line above.")
    assert cells[1] == {"cell_type": "code", "source": 'profile = "quick"\nseed = 0',
                        "metadata": {"tags": ["parameters"]}}
    assert cells[2]["source"].startswith('text = """\n# %% not a marker')
    assert "\n\nx = 1" in cells[2]["source"]  # a blank line inside a cell stays
    assert cells[2]["metadata"] == {}
    assert cells[3]["metadata"] == {"custom": {"a": 1}} and cells[3]["source"] == "The end."


def test_parser_round_trips_a_script():
    assert to_percent(parse_percent(SCRIPT)) == SCRIPT


def test_blank_lines_around_a_cell_are_dropped():
    loose = "\n\n# %%\n\n\nx = 1\n\n\n\n# %% [markdown]\n#\n# text\n#\n\n"
    cells = parse_percent(loose)
    assert [c["source"] for c in cells] == ["x = 1", "text"]
    assert to_percent(cells) == "# %%\nx = 1\n\n# %% [markdown]\n# text\n"


def test_a_jupytext_header_is_skipped():
    header = "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n\n"
    assert parse_percent(header + SCRIPT) == parse_percent(SCRIPT)


@pytest.mark.parametrize("script, message", [
    ("x = 1\n# %%\ny = 2\n", "before the first"),
    ("# %% [markdown]\nnot a comment\n", "must start with '#'"),
    ("# %% A title\nx = 1\n", "only \\[markdown\\]"),
    ("# %% tags=[parameters]\nx = 1\n", "not JSON"),
    ("# %%\n%time x = 1\n", "magics"),
    ('# %%\nx = """\n', "never closed"),
])
def test_parser_refuses_what_it_cannot_read(script, message):
    with pytest.raises(SourceError, match=message):
        parse_percent(script)


def test_check_fails_on_a_modified_notebook(tmp_path):
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    command = [sys.executable, "-m", "ddad_lite.series.notebook_source", "--check",
               "--notebooks", str(copy)]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0

    edited = copy / SOURCES[1].with_suffix(".ipynb").name
    nb = nbformat.read(edited, as_version=4)
    nb.cells[0].source += "\nA line added in JupyterLab."
    nbformat.write(nb, edited)
    untouched = {p.name: p.stat().st_mtime_ns for p in copy.glob("*.ipynb")}
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 1 and edited.name in done.stderr
    assert SOURCES[0].stem not in done.stderr

    assert sync(copy) == [edited.name]  # rebuilding rewrites that notebook only
    assert {p.name: p.stat().st_mtime_ns for p in copy.glob("*.ipynb")
            if p.name != edited.name} == {k: v for k, v in untouched.items() if k != edited.name}
    assert sync(copy, check=True) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebooks_cite_files_that_exist_in_the_repository(source):
    text = source.read_text(encoding="utf-8")
    assert "REFERENCE.md" not in text and "../shared" not in text
    root = NOTEBOOKS_DIR.parent
    cited = re.findall(r"`((?:ddad_lite|docs|notebooks|tests|data_prep)/[\w./-]*)`", text)
    missing = [path for path in cited if not (root / path).exists()]
    modules = re.findall(r"`(\w+\.py)`", text)  # a bare file name: somewhere in the package
    missing += [name for name in modules if not list((root / "ddad_lite").rglob(name))]
    assert not missing, f"{source.name} cites files that do not exist: {missing}"
