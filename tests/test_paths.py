"""paths.py: the defaults of the data root and teacher cache, from the cwd (command line) or
from the project folder (notebooks), and what the environment variables change."""

from pathlib import Path

import pytest

from ddad_lite.paths import (
    project_root,
    resolve_data_root,
    resolve_teacher_cache,
    series_paths,
)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("DDAD_CACHE", raising=False)
    monkeypatch.delenv("DDAD_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_command_line_defaults_are_relative_to_the_cwd(clean_env):
    assert resolve_data_root() == Path("data")
    assert resolve_teacher_cache() == Path("checkpoints") / "teachers"
    assert resolve_data_root("/given") == Path("/given")  # a given path always wins
    assert resolve_teacher_cache("given") == Path("given")
    clean_env.setenv("DDAD_DATA", "/srv/data")
    clean_env.setenv("DDAD_CACHE", "/srv/cache")
    assert resolve_data_root() == Path("/srv/data")
    assert resolve_teacher_cache() == Path("/srv/cache") / "teachers"
    assert resolve_data_root("mine") == Path("mine")
    clean_env.setenv("DDAD_DATA", "")  # set but empty: unset
    assert resolve_data_root() == Path("data")


def test_notebook_defaults_are_relative_to_the_project(clean_env, tmp_path):
    paths = series_paths(out_dir="runs/quick/02_x")
    assert paths["out_dir"] == tmp_path / "runs" / "quick" / "02_x" and paths["out_dir"].is_dir()
    assert paths["shared_runs"] == tmp_path / "runs" / "quick" / "shared_runs"  # one per series
    assert paths["cache_dir"] == tmp_path / "checkpoints" / "teachers"
    assert paths["data_root"] == tmp_path / "data"
    (tmp_path / "notebooks").mkdir()
    clean_env.chdir(tmp_path / "notebooks")  # JupyterLab runs a notebook in its folder
    assert project_root() == tmp_path
    paths = series_paths()
    assert paths["cache_dir"] == tmp_path / "checkpoints" / "teachers"
    assert paths["data_root"] == tmp_path / "data"
    assert paths["shared_runs"] == tmp_path / "runs" / "interactive" / "shared_runs"
    # The variables win over the project folder; a relative one is taken from the cwd.
    clean_env.setenv("DDAD_CACHE", "elsewhere")
    clean_env.setenv("DDAD_DATA", str(tmp_path / "d"))
    paths = series_paths()
    assert paths["cache_dir"] == tmp_path / "notebooks" / "elsewhere" / "teachers"
    assert paths["data_root"] == tmp_path / "d"
    assert series_paths(data_root="x")["data_root"] == tmp_path / "notebooks" / "x"
