"""The cell that writes a notebook's key figures, near its end, shows a sentence, not a bare
object: no `PosixPath(...)` or raw dict of unrounded fractions under the tables (a print says
where the figures went)."""

import ast

import nbformat
import pytest

from ddad_lite.paths import NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_key_figures_cell_shows_no_bare_object(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "key_figures" in c.source]
    assert cells, "no cell writes the key figures"
    statement = ast.parse(cells[-1].source).body[-1]
    if isinstance(statement, ast.Expr):
        value = statement.value
        assert not isinstance(value, (ast.Name, ast.Dict, ast.Attribute)), \
            f"{path.name} ends with the bare value {ast.unparse(value)}"
        if isinstance(value, ast.Call):
            assert ast.unparse(value.func) in ("print", "display"), \
                f"{path.name} ends with the value of {ast.unparse(value)[:60]}"
