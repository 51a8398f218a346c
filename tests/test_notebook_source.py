"""The notebooks' sources: each notebooks/NN_name.ipynb is paired by jupytext with its percent
script notebooks/src/NN_name.py (notebooks/jupytext.toml). Every committed notebook is what
`make notebooks` (jupytext) builds from its script now, byte for byte, with the kernel's
metadata; a notebook edited away from its script is caught."""

import json
import re
import shutil

import jupytext
import nbformat
import pytest
from jupytext.cli import jupytext as jupytext_cli

from ddad_lite.paths import NOTEBOOKS_DIR
from ddad_lite.series.kernel import KERNELSPEC, LANGUAGE_INFO, notebook_metadata

SOURCES = sorted((NOTEBOOKS_DIR / "src").glob("[0-9][0-9]_*.py"))


def build(notebooks_dir, source):
    """What `make notebooks` does for one script: jupytext updates the paired notebook."""
    target = notebooks_dir / f"{source.stem}.ipynb"
    jupytext_cli(["--quiet", "--update", "--update-metadata", json.dumps(notebook_metadata()),
                  "--to", "ipynb", "-o", str(target), str(source)])
    return target


def differ(notebooks_dir):
    """The notebooks in `notebooks_dir` that building them from their scripts would change."""
    changed = []
    for source in sorted((notebooks_dir / "src").glob("[0-9][0-9]_*.py")):
        target = notebooks_dir / f"{source.stem}.ipynb"
        before = target.read_bytes()
        if build(notebooks_dir, source).read_bytes() != before:
            changed.append(target.name)
    return changed


def test_every_notebook_has_a_source():
    notebooks = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert [s.stem for s in SOURCES] == [p.stem for p in notebooks]


def test_committed_notebooks_are_their_sources_built_now(tmp_path):
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    assert differ(copy) == [], "run `make notebooks`"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_holds_the_kernels_metadata_and_its_scripts_cells(source):
    committed = nbformat.read(NOTEBOOKS_DIR / f"{source.stem}.ipynb", as_version=4)
    assert committed.metadata == {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    script = jupytext.read(source)
    assert [(c.cell_type, c.source, c.metadata) for c in committed.cells] == \
        [(c.cell_type, c.source, c.metadata) for c in script.cells]
    tagged = [c for c in committed.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "papermill needs one cell tagged `parameters`"


def test_a_notebook_edited_away_from_its_script_is_caught(tmp_path):
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    edited = copy / f"{SOURCES[1].stem}.ipynb"
    nb = nbformat.read(edited, as_version=4)
    ids = [c.id for c in nb.cells]
    nb.cells[0].source += "\nA line added in JupyterLab."
    nbformat.write(nb, edited)
    assert differ(copy) == [edited.name]
    rebuilt = nbformat.read(edited, as_version=4)
    assert "A line added" not in rebuilt.cells[0].source
    assert [c.id for c in rebuilt.cells] == ids  # --update keeps the cell ids
    assert differ(copy) == []


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
