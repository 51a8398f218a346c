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

from ..config import DistillConfig, make_config
from ..errors import unknown_name
from ..files import save_json

# One schedule per profile for the shapes notebooks. `smoke` checks the plumbing in seconds.
# `quick` cuts the shapes quick recipe (600 iterations of batch 64, about 97%) so that the
# series' 11 distillations fit its 15-minute CPU budget: 200 iterations of batch 32 with a
# constant learning rate, which on this budget learns faster than batch 64 or a decaying rate
# (the students reach about 40-60%, far from converged; the CLI's quick profile converges).
# `full` keeps the profile's own schedule.
SERIES_BUDGETS = {
    "smoke": dict(iterations=4, eval_every=2, eval_size=300, snapshot_every=2),
    "quick": dict(iterations=200, batch_size=32, lr_milestones=(), eval_every=20,
                  eval_size=1000, snapshot_every=20),
    "full": dict(),
}


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
