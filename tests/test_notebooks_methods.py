"""Notebooks 05 (pseudo replay) and 06 (method comparison) run headless in the smoke profile,
and are committed without outputs with one `parameters` cell of plain literals."""

import ast
import json
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["05_pseudo_replay.ipynb", "06_method_comparison.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_clean_with_literal_parameters(name):
    nb = json.loads((NOTEBOOKS / name).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse("".join(tagged[0]["source"]))
    names = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign)  # plain assignments ...
        names[node.targets[0].id] = ast.literal_eval(node.value)  # ... of literals
    assert names["profile"] == "quick" and names["device"] == "cpu"
    assert {"out_dir", "seeds"} <= set(names)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_the_smoke_profile(name, tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill")
    from jupyter_client.kernelspec import KernelSpecManager

    if "ddad-lite" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("no 'ddad-lite' kernel: python -m ipykernel install --sys-prefix "
                    "--name ddad-lite")
    monkeypatch.setenv("DDAD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    shutil.copy(NOTEBOOKS / name, tmp_path / name)
    out_dir = tmp_path / "out"
    papermill.execute_notebook(
        str(tmp_path / name), str(tmp_path / ("run-" + name)), kernel_name="ddad-lite",
        cwd=str(Path(__file__).resolve().parents[1]), progress_bar=False,
        parameters={"profile": "smoke", "out_dir": str(out_dir), "seeds": [0]})
    figures = json.loads((out_dir / "key_figures.json").read_text())
    assert figures["profile"] == "smoke"
    assert list(out_dir.glob("*.png"))
