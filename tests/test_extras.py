"""A missing optional extra ends in one line naming the extra to install, not a traceback."""

import sys

import pytest

from ddad_lite.cli.main import main
from ddad_lite.errors import UserError
from ddad_lite.extras import require_extra


def test_a_missing_module_names_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "papermill", None)  # import now raises ImportError
    with pytest.raises(UserError, match=r"extra 'notebooks' \(papermill is not installed\)"):
        require_extra("notebooks", "json", "papermill")
    require_extra("notebooks", "json")  # present: nothing raised


def test_reproduce_without_the_notebooks_extra_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "papermill", None)
    code = main(["reproduce", "--profile", "smoke", "--out-root", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "ddad-lite[notebooks]" in err and "papermill" in err
    assert not any(tmp_path.iterdir())  # nothing written
