"""The notebook series: committed clean, parametrised by papermill, and runnable headless.

(a) every notebooks/NN_*.ipynb has no outputs, exactly one `parameters` cell of plain
    literals, and opens and closes with markdown;
(b) the runner on tiny notebooks: this interpreter's kernel, key figures, a failing notebook
    stops the series naming its saved copy;
(c) the whole series in the smoke profile through `reproduce` (the gate), then nbval (lax)
    over the executed copies.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ddad_lite.errors import UserError
from ddad_lite.paths import NOTEBOOKS_DIR
from ddad_lite.series.reproduce import INJECTED_PARAMETERS, discover, reproduce

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
REQUIRED_PARAMETERS = set(INJECTED_PARAMETERS)  # and `seed` or `seeds`
LITERAL_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.UnaryOp, ast.USub,
                 ast.UAdd, ast.Load)


def is_plain_literal(node: ast.AST) -> bool:
    if not all(isinstance(n, LITERAL_NODES) for n in ast.walk(node)):
        return False
    ast.literal_eval(node)
    return True


def test_the_series_exists():
    assert [p.name[:2] for p in NOTEBOOKS][:4] == ["00", "01", "02", "03"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_parametrised(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert tagged[0].cell_type == "code"
    names = set()
    for stmt in ast.parse(tagged[0].source).body:
        assert isinstance(stmt, ast.Assign), f"not an assignment: {ast.unparse(stmt)}"
        assert all(isinstance(t, ast.Name) for t in stmt.targets)
        assert is_plain_literal(stmt.value), f"not a plain literal: {ast.unparse(stmt)}"
        names |= {t.id for t in stmt.targets}
    assert REQUIRED_PARAMETERS <= names, f"declare {REQUIRED_PARAMETERS - names}"
    assert names & {"seed", "seeds"}, "a `seed` (or `seeds`, for notebooks over several)"
    values = {t.id: ast.literal_eval(s.value) for s in ast.parse(tagged[0].source).body
              for t in s.targets}
    assert values["profile"] == "quick" and values["device"] == "cpu"
    assert values["out_dir"] == f"runs/interactive/{path.stem}"
    assert values["cache_dir"] is None and values["data_root"] is None
    assert nb.cells[0].cell_type == "markdown" and nb.cells[-1].cell_type == "markdown"
    assert "key_figures" in "".join(c.source for c in code) or "write_key_figures" in \
        "".join(c.source for c in code)


def test_a_derived_value_in_the_parameters_cell_is_refused():
    assert not is_plain_literal(ast.parse("x = 1 + len('a')").body[0].value)
    assert not is_plain_literal(ast.parse("x = Path('a')").body[0].value)
    assert is_plain_literal(ast.parse("x = (-1, 'a', None, {'k': 2.5})").body[0].value)


# ---- the runner on tiny notebooks ----------------------------------------------------------
def tiny_notebook(path: Path, body: str):
    params = new_code_cell('profile = "quick"\ndevice = "cpu"\nout_dir = "x"\nseed = 0')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# tiny"), params, new_code_cell(body),
                             new_markdown_cell("end")])
    nbformat.write(nb, path)


def test_runner_uses_this_interpreter_and_stops_at_a_failure(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "00_echo.ipynb", "import sys, json, pathlib\n"
                  "pathlib.Path(out_dir, 'key_figures.json').write_text(json.dumps("
                  "{'python': sys.executable, 'profile': profile}))")
    tiny_notebook(nbs / "01_fail.ipynb", "raise ValueError('boom')")
    tiny_notebook(nbs / "02_never.ipynb", "pass")
    assert [p.name for p in discover(nbs, only=["2"])] == ["02_never.ipynb"]
    with pytest.raises(UserError, match="no notebook numbered 07"):
        discover(nbs, only=["07"])

    out_root = tmp_path / "runs"
    with pytest.raises(UserError) as failure:
        reproduce(profile="smoke", out_root=out_root, notebooks_dir=nbs, html=False,
                  cache_dir=tmp_path / "teachers", timeout=120)
    saved = out_root / "smoke" / "notebooks" / "01_fail.ipynb"
    message = str(failure.value)
    assert "\n" not in message and str(saved) in message and "boom" in message
    assert saved.exists()
    results = json.loads((out_root / "smoke" / "results.json").read_text())
    rows = {r["notebook"]: r for r in results["notebooks"]}
    assert rows["00_echo"]["status"] == "ok" and rows["01_fail"]["status"] == "failed"
    assert "02_never" not in rows  # the series stopped
    figures = rows["00_echo"]["key_figures"]
    assert figures == {"python": sys.executable, "profile": "smoke"}  # injected, same Python
    assert results["provenance"]["profile"] == "smoke"
    assert "| 01_fail | failed |" in (out_root / "smoke" / "results.md").read_text()
    printed = capsys.readouterr().out.splitlines()  # one line per notebook as it starts, ends
    assert [line.split(":")[0] for line in printed] == ["[1/3] 00_echo"] * 2 + ["[2/3] 01_fail"] * 2
    assert "done in" in printed[1] and "failed after" in printed[3]
    index = (out_root / "smoke" / "index.html").read_text()
    assert 'href="notebooks/00_echo.ipynb"' in index and 'href="results.md"' in index
    assert "01_fail" in index and "boom" in index


# ---- the series in the smoke profile ----------------------------------------------------------
# `smoke_series` (tests/conftest.py) executes it once per session; other modules read it too.
@pytest.mark.slow
def animation_twins(path) -> int:
    """How many outputs of an executed notebook are a browser's animation twin (jshtml)."""
    nb = nbformat.read(path, as_version=4)
    pages = [o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
             for o in c.outputs]
    return sum("<script" in p and "data:image/jpeg;base64," in p for p in pages)


def test_smoke_series_runs_clean(smoke_series):
    run_root, results = smoke_series
    rows = results["notebooks"]
    assert [r["notebook"] for r in rows] == [p.stem for p in NOTEBOOKS]
    assert all(r["status"] == "ok" for r in rows)
    assert json.loads((run_root / "results.json").read_text())["notebooks"] == rows
    assert (run_root / "results.md").exists()
    for r in rows:
        assert r["key_figures"], f"{r['notebook']} wrote no key_figures.json"
        assert Path(r["html"]).stat().st_size > 0
        nb = nbformat.read(r["path"], as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], r["notebook"]
        assert any("image/png" in o.get("data", {}) for o in outputs), r["notebook"]
    widgets = nbformat.read(run_root / "notebooks" / "03_dual_discriminator.ipynb", 4).metadata[
        "widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {v["model_name"]: v["state"] for v in widgets.values()}
    assert {"SelectionSliderModel", "DropdownModel", "ImageModel"} <= set(models)
    assert models["DropdownModel"]["_options_labels"][models["DropdownModel"]["index"]] == "all"
    assert "iteration" in models["HTMLModel"]["value"]  # the browser drew its caption
    for name in ("02_bn_statistics", "03_dual_discriminator", "05_segmentation"):
        assert animation_twins(run_root / "notebooks" / f"{name}.ipynb"), name
    teacher_trained = [r["key_figures"].get("teacher_trained_now") for r in rows]
    assert teacher_trained[0] is True  # 00 trains it; the others load it from the cache
    # Notebooks 03, 04, 06 and 07 share runs: one folder per config, DDAD seed 0 trained once.
    shared = run_root / "shared_runs"
    assert len(list(shared.glob("shapes-ddad-seed0-*"))) == 1
    assert len(list(shared.glob("shapes-ddad+replay-seed*-*"))) == 3  # 06's seeds, 07's seed 0
    for run in shared.iterdir():
        assert (run / "metrics.json").is_file(), f"{run} is unfinished"


@pytest.mark.slow
def test_executed_smoke_notebooks_pass_nbval_lax(smoke_series):
    run_root, _ = smoke_series
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(NOTEBOOKS_DIR.parent),
                                                        os.environ.get("PYTHONPATH")])))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(run_root), str(run_root / "notebooks")],
        cwd=run_root, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.parametrize("budget", ["lesson_budget", "inversion_budget", "toy_budget"])
def test_lesson_budgets_are_copies_per_profile(budget):
    from ddad_lite.config.recipes import PROFILES
    from ddad_lite.lessons import budgets

    get = getattr(budgets, budget)
    for profile in PROFILES:
        values = get(profile)
        values["iterations"] = -1  # a copy: the caller may change it
        assert get(profile).get("iterations", 1) != -1
    with pytest.raises(UserError, match="unknown profile 'fast'"):
        get("fast")
