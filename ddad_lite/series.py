"""Settings shared by the notebook series, so every notebook of a run uses the same teacher.

The notebooks pass `profile` ("smoke", "quick", "full") to `series_config`, which is
`make_config`: the notebooks and the CLI share one recipe, hence one teacher, trained once
per cache and then loaded by every later notebook (`load_or_train_teacher`).

Paths: a notebook opened in JupyterLab runs in `notebooks/`, papermill runs it in its run
folder. `series_paths` makes relative defaults point at the project, not at the notebook's
folder: the teacher cache `$DDAD_CACHE/teachers` else `<project>/checkpoints/teachers`, the
data root `$DDAD_DATA` else `<project>/data`, and `shared_runs`, the folder of distillation runs
shared by the notebooks of one series (beside their own folders: `runs/quick/shared_runs/`).

The notebooks that distil on `shapes` (02, 03 when CIFAR is absent, 05, 06) use one schedule per
profile, `series_budget(profile)`. A run is stored under its config's fingerprint
(`experiment.run_folder`) and read back when another notebook asks for the same config, so the
quick series trains DDAD, DFAD and BN-only once for notebooks 02, 03 and 06.
"""

from __future__ import annotations

import os
from pathlib import Path

from .checkpoint import save_json
from .config import DistillConfig
from .configure import make_config
from .recipes import LESSON_BUDGETS as SERIES_BUDGETS
from .errors import unknown_name

def series_budget(profile: str) -> dict:
    """The overrides of `make_config` that the shapes notebooks share for `profile`."""
    if profile not in SERIES_BUDGETS:
        raise unknown_name("profile", profile, SERIES_BUDGETS)
    return dict(SERIES_BUDGETS[profile])


def series_config(dataset: str = "shapes", method: str = "ddad", profile: str = "quick",
                  **overrides) -> DistillConfig:
    """The config of a notebook's run: the dataset's recipe for the profile (`make_config`)."""
    return make_config(dataset, method, profile, **overrides)


def project_root(cwd: str | os.PathLike | None = None) -> Path:
    """The project folder: the parent of `notebooks/` when run from there, else the cwd."""
    cwd = Path(cwd or os.getcwd()).resolve()
    return cwd.parent if cwd.name == "notebooks" else cwd


def series_paths(*, cache_dir=None, data_root=None, out_dir=None) -> dict:
    """Absolute teacher cache, data root and output folder, with the defaults above."""
    root = project_root()
    if cache_dir is None:
        env = os.environ.get("DDAD_CACHE")
        cache_dir = Path(env) / "teachers" if env else root / "checkpoints" / "teachers"
    if data_root is None:
        data_root = os.environ.get("DDAD_DATA") or root / "data"
    paths = {"cache_dir": Path(cache_dir).resolve(), "data_root": Path(data_root).resolve(),
             "shared_runs": root / "runs" / "interactive" / "shared_runs"}
    if out_dir is not None:
        out = Path(out_dir)
        paths["out_dir"] = (out if out.is_absolute() else root / out).resolve()
        paths["out_dir"].mkdir(parents=True, exist_ok=True)
        paths["shared_runs"] = paths["out_dir"].parent / "shared_runs"
    return paths


def write_key_figures(out_dir, **figures) -> Path:
    """`out_dir/key_figures.json`: the few numbers the runner tabulates for a notebook."""
    path = Path(out_dir) / "key_figures.json"
    save_json(path, figures)
    return path
