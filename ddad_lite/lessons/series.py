"""What the notebooks of one series share, so every notebook of a run uses the same teacher,
the same runs and the same budget.

- Configs: every notebook calls `configure.make_config(dataset, method, profile, ...)`, as the
  CLI does: one recipe, hence one teacher, trained once per cache and then loaded by every
  later notebook (`load_or_train_teacher`).
- Budgets: the notebooks that distil on `shapes` (03, 04 when CIFAR is absent, 06, 07) lay
  `budgets.lesson_budget(profile)` over the recipe; notebook 02's inversions follow
  `budgets.inversion_budget(profile)`. A profile means one budget everywhere
  (config/recipes.py).
- Runs: a run is stored under its config's fingerprint (`runs.store.run_folder`) in the
  series' `shared_runs` and read back when another notebook asks for the same config, so the
  quick series trains DDAD, DFAD and BN-only once for notebooks 03, 04 and 07.
- Paths: the teacher cache, the data root, a notebook's output folder and `shared_runs` come
  from `paths.series_paths`.
- Results: `write_key_figures` leaves the few numbers the runner tabulates for a notebook.
- Solutions: `series_runner` runs methods on the series' schedule, teacher and shared runs,
  as the notebooks do (the worked solutions of notebooks 06 and 07 use it).
"""

from __future__ import annotations

from pathlib import Path

from ..config.building import make_config
from ..files import save_json
from ..paths import series_paths
from ..runs.sweep import sweep
from ..teacher import load_or_train_teacher
from .budgets import lesson_budget


def write_key_figures(out_dir, **figures) -> Path:
    """`out_dir/key_figures.json`: the few numbers the runner tabulates for a notebook."""
    path = Path(out_dir) / "key_figures.json"
    save_json(path, figures)
    return path


def series_runner(*, profile: str = "quick", device: str = "cpu", out_dir, cache_dir=None,
                  data_root=None):
    """(run, cfg): `run(methods, seeds=(0,), **settings)` returns the sweep rows of `methods`
    on the series' shapes schedule (`lesson_budget(profile)`, settings laid over it), with the
    series' teacher and in its shared runs folder, so runs a notebook made are read back;
    `cfg` is the series' DDAD config."""
    paths = series_paths(cache_dir=cache_dir, data_root=data_root, out_dir=out_dir)
    budget = lesson_budget(profile)
    cfg = make_config("shapes", "ddad", profile, device=device, **budget)
    teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                    data_root=paths["data_root"], device=device, progress=False)

    def run(methods, seeds=(0,), **settings):
        return sweep(methods, profile=profile, seeds=seeds, teacher=teacher, device=device,
                     out_root=paths["shared_runs"], **{**budget, **settings})

    return run, cfg
