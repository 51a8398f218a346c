"""Settings shared by the notebook series, so every notebook of a run uses the same teacher.

The notebooks pass `profile` ("smoke", "quick", "full") to `series_config`, which is
`make_config`: the notebooks and the CLI share one recipe, hence one teacher, trained once
per cache and then loaded by every later notebook (`load_or_train_teacher`).

Paths (the teacher cache, the data root, a notebook's output folder and the series'
`shared_runs`) come from `paths.series_paths`.

The notebooks that distil on `shapes` (02, 03 when CIFAR is absent, 05, 06) use one schedule per
profile, `series_budget(profile)`. A run is stored under its config's fingerprint
(`runs.store.run_folder`) and read back when another notebook asks for the same config, so the
quick series trains DDAD, DFAD and BN-only once for notebooks 02, 03 and 06.
"""

from __future__ import annotations

from pathlib import Path

from .config import DistillConfig
from .configure import make_config
from .errors import unknown_name
from .files import save_json
from .recipes import LESSON_BUDGETS as SERIES_BUDGETS


def series_budget(profile: str) -> dict:
    """The overrides of `make_config` that the shapes notebooks share for `profile`."""
    if profile not in SERIES_BUDGETS:
        raise unknown_name("profile", profile, SERIES_BUDGETS)
    return dict(SERIES_BUDGETS[profile])


def series_config(dataset: str = "shapes", method: str = "ddad", profile: str = "quick",
                  **overrides) -> DistillConfig:
    """The config of a notebook's run: the dataset's recipe for the profile (`make_config`)."""
    return make_config(dataset, method, profile, **overrides)


def write_key_figures(out_dir, **figures) -> Path:
    """`out_dir/key_figures.json`: the few numbers the runner tabulates for a notebook."""
    path = Path(out_dir) / "key_figures.json"
    save_json(path, figures)
    return path
