"""Colab and Binder: every notebook links to both, installs the kit only when it is missing,
and picks the hosted GPU; Binder's configuration pins the versions and registers the kernel
the notebooks name."""

import json
import re
import tomllib

import nbformat
import pytest

from ddad_lite.paths import NOTEBOOKS_DIR, SOURCE_ROOT
from ddad_lite.series.kernel import KERNELSPEC

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_links_colab_and_binder_and_installs_only_when_missing(path):
    nb = nbformat.read(path, as_version=4)
    intro = nb.cells[0].source
    assert "colab.research.google.com/github/" in intro and f"notebooks/{path.name})" in intro
    assert "mybinder.org/v2/gh/" in intro and f"labpath=notebooks%2F{path.name})" in intro
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters, setup = code[0], code[1].source  # papermill's cell first, then the setup
    assert "parameters" in parameters.metadata.get("tags", [])
    assert 'if importlib.util.find_spec("ddad_lite") is None:' in setup
    assert "pip" in setup and "lesson = setup(profile, device=device," in setup
    # The hosted GPU is setup's (tests/test_lesson_setup.py); the 2-D toy stays on the CPU.
    assert ("cpu_only=True" in setup) == path.stem.startswith("01")


def test_binder_pins_the_versions_and_registers_the_notebooks_kernel():
    post_build = (SOURCE_ROOT / "binder" / "postBuild").read_text()
    assert "-c constraints.txt" in post_build
    assert "python -m ddad_lite.series.kernel install --user" in post_build
    kernels = {json.loads(p.read_text())["metadata"]["kernelspec"]["name"] for p in NOTEBOOKS}
    assert kernels == {KERNELSPEC["name"]}
    assert (SOURCE_ROOT / "binder" / "runtime.txt").read_text().startswith("python-3.")


def test_every_link_and_install_line_names_the_projects_repository():
    """Colab, Binder and pip all point at pyproject's Repository, nowhere else."""
    pyproject = tomllib.loads((SOURCE_ROOT / "pyproject.toml").read_text())
    owner_name = pyproject["project"]["urls"]["Repository"].removeprefix("https://github.com/")
    for path in NOTEBOOKS:
        text = path.read_text()
        found = set(re.findall(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/", text))
        found |= set(re.findall(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/", text))
        found |= set(re.findall(r"git\+https://github\.com/([^/\"\\]+/[^/\"\\ ]+)", text))
        assert found == {owner_name}, (path.name, found)
