"""What the notebooks of one series share, so every notebook of a run uses the same teacher,
the same runs and the same budget.

- Configs: every notebook calls `configure.make_config(dataset, method, profile, ...)`, as the
  CLI does: one recipe, hence one teacher, trained once per cache and then loaded by every
  later notebook (`load_or_train_teacher`).
- Budgets: the notebooks that distil on `shapes` (03, 04 when CIFAR is absent, 06, 07) lay
  `recipes.lesson_budget(profile)` over the recipe; notebook 02's inversions follow
  `recipes.inversion_budget(profile)`. A profile means one budget everywhere (recipes.py).
- Runs: a run is stored under its config's fingerprint (`runs.store.run_folder`) in the
  series' `shared_runs` and read back when another notebook asks for the same config, so the
  quick series trains DDAD, DFAD and BN-only once for notebooks 03, 04 and 07.
- Paths: the teacher cache, the data root, a notebook's output folder and `shared_runs` come
  from `paths.series_paths`.
- Results: `write_key_figures` leaves the few numbers the runner tabulates for a notebook.
"""

from __future__ import annotations

from pathlib import Path

from ..files import save_json


def write_key_figures(out_dir, **figures) -> Path:
    """`out_dir/key_figures.json`: the few numbers the runner tabulates for a notebook."""
    path = Path(out_dir) / "key_figures.json"
    save_json(path, figures)
    return path
