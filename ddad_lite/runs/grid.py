"""A grid of settings for one method, on one teacher and budget, chosen on the validation split.

    result = grid_search("ddad", {"bn": [0.1, 1, 10], "discrepancy": ["l1", "kl"]},
                         dataset="shapes", profile="quick", seeds=(0, 1), out_root="runs/grid")
    print(grid_table(result))

Each point of the grid (every combination of the listed values) is one run per seed, made with
`make_config(dataset, method, profile, seed=s, **point, **overrides)` and stored by
`store.run_or_load` (a finished run is read back, one cut short resumed). The choice is made on
the validation split only (train images held out from the teacher and never trained on):

    chosen = argmax over points of  mean over seeds of  a_val(final),

the student's validation accuracy (or mIoU) at the last evaluation. The test split is reported
beside every point, final and mean over training, and never used to choose; so the test score
of the chosen point is not inflated by the search (the points' own test scores are, if read as
a maximum: `grid_table` marks only the validation choice).

CLI: `python -m ddad_lite grid --method ddad --grid bn=0.1,1,10 --grid discrepancy=l1,kl
--seeds 0,1 --out runs/grid` writes `grid.json` and `grid.md` into `--out`.
"""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path

from ..config.building import make_config
from ..errors import UserError
from ..files import save_json, save_text
from ..tables import Column, markdown_table
from ..teacher import load_or_train_teacher
from .store import load_history, run_folder, run_or_load


def grid_points(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, in the order given (last setting fastest)."""
    if not grid or any(not values for values in grid.values()):
        raise UserError("a grid needs at least one setting with at least one value, e.g. "
                        "--grid bn=0.1,1,10")
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def grid_search(method: str, grid: dict[str, list], *, dataset: str = "shapes",
                profile: str = "quick", seeds=(0,), out_root, teacher=None, cache_dir=None,
                progress: bool = False, **overrides) -> dict:
    """Run every point of `grid` for every seed; returns {"points": [...], "chosen": i,
    "chosen_on": ...}. Each point holds its settings, the seeds, and per seed and as a mean:
    the final validation score, the final and mean test score."""
    points = grid_points(grid)
    configs = [[make_config(dataset, method, profile, seed=seed, progress=progress,
                            **{**overrides, **point}) for seed in seeds] for point in points]
    points = [_typed(point, cfgs[0]) for point, cfgs in zip(points, configs, strict=True)]
    entries = []
    for point, point_configs in zip(points, configs, strict=True):
        runs = []
        for cfg in point_configs:
            if teacher is None:
                teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=cache_dir,
                                                data_root=cfg.data_root, device=cfg.device,
                                                progress=progress)
            run_dir = run_folder(out_root, cfg)
            runs.append(_scores(run_or_load(cfg, run_dir, teacher=teacher),
                                load_history(run_dir), run_dir))
        entries.append(_summary(point, runs))
    usable = [i for i, e in enumerate(entries) if e["val_final"] is not None]
    if not usable:
        raise UserError("no run of the grid evaluated on a validation split; give the "
                        "recipe a val_size (e.g. --set val_size=2000)")
    chosen = max(usable, key=lambda i: entries[i]["val_final"])
    return {"method": method, "dataset": dataset, "profile": profile, "seeds": list(seeds),
            "grid": {k: list(v) for k, v in grid.items()}, "overrides": overrides,
            "points": entries, "chosen": chosen,
            "chosen_on": "the mean over seeds of the final validation score"}


def _typed(point: dict, cfg) -> dict:
    """The point's values as the config holds them (text from the CLI becomes 0.5, not "0.5")."""
    settings = [values for values in (cfg.method_settings or {}).values()]
    out = {}
    for name, value in point.items():
        if hasattr(cfg, name):
            out[name] = getattr(cfg, name)
        else:
            out[name] = next((v[name] for v in settings if name in v), value)
    return out


def _scores(metrics: dict, history: dict, run_dir: Path) -> dict:
    key = "student_acc" if "student_acc" in metrics else "student_miou"
    val = [e["val_" + key] for e in history["eval"] if "val_" + key in e]
    return {"seed": metrics["seed"], "val_final": val[-1] if val else None,
            "test_final": metrics[key], "test_mean": metrics["mean_" + key],
            "wall_seconds": metrics["wall_seconds"], "run_dir": str(run_dir)}


def _summary(point: dict, runs: list[dict]) -> dict:
    entry = {"settings": point, "runs": runs}
    for field in ("val_final", "test_final", "test_mean", "wall_seconds"):
        values = [r[field] for r in runs if r[field] is not None]
        entry[field] = statistics.fmean(values) if values else None
        entry[field + "_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return entry


def grid_table(result: dict) -> str:
    """Markdown: a row per point (settings, validation final, test final and mean, "mean ±
    std" over seeds), the validation choice marked; the footnote says what chose it."""
    names = list(result["grid"])
    several = len(result["seeds"]) > 1
    score = dict(digits=3, right=True)
    columns = [Column(n) for n in names] + [
        Column("val final", "val_final", **score), Column("test final", "test_final", **score),
        Column("test mean", "test_mean", **score),
        Column("wall time (s)", "wall_seconds", digits=0, right=True), Column("chosen")]

    def cells(i_entry):
        i, entry = i_entry
        row = {n: entry["settings"][n] for n in names}
        for field in ("val_final", "test_final", "test_mean"):
            row[field] = ((entry[field], entry[field + "_std"]) if several and entry[field]
                          is not None else entry[field])
        row["wall_seconds"] = entry["wall_seconds"]
        row["chosen"] = "<- chosen" if i == result["chosen"] else ""
        return row

    footnote = (f"Chosen on the validation split ({result['chosen_on']}, seeds "
                f"{', '.join(map(str, result['seeds']))}); the test split only reports.")
    return markdown_table(columns, map(cells, enumerate(result["points"])), footnote=footnote)


def write_grid(result: dict, out_dir) -> None:
    """`out_dir/grid.json` and `out_dir/grid.md`."""
    out = Path(out_dir)
    save_json(out / "grid.json", result)
    save_text(out / "grid.md", grid_table(result) + "\n")
