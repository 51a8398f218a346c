"""Runs on disk: found by their config, read back instead of trained twice.

`run_or_load(cfg, out_dir)` is "load it if it exists, otherwise train": a finished run of the
same config is read back, one cut short is resumed from its checkpoint, and a folder that holds
a run of another config is refused. With `run_folder(root, cfg)` (named by the dataset, method,
seed and the config's fingerprint) several notebooks or scripts share one folder of runs and
never train the same config twice. `load_history(out_dir)` reads a finished run's history.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import DistillConfig, config_differences, config_fingerprint
from ..errors import UserError
from .run import run_distillation


def run_or_load(cfg: DistillConfig, out_dir, *, teacher=None, cache_dir=None) -> dict:
    """The metrics of the run of `cfg` in `out_dir`: read back if it finished there, resumed
    from its checkpoint if it was cut short, else distilled now. A folder that holds a run of
    another config is refused (one line naming what differs)."""
    out = Path(out_dir)
    metrics_path = out / "metrics.json"
    if metrics_path.is_file() and (out / "history.json").is_file():
        metrics = json.loads(metrics_path.read_text())
        diffs = config_differences(DistillConfig.from_dict(metrics["config"]), cfg)
        if diffs:
            raise UserError(f"{out} holds a run of another config (it differs in "
                            f"{', '.join(diffs[:4])}); delete that folder or choose another")
        return metrics
    resume = (out / "checkpoint.pt").is_file()
    return run_distillation(cfg, out, resume=resume, cache_dir=cache_dir, teacher=teacher)


def run_folder(root, cfg: DistillConfig) -> Path:
    """`root/<dataset>-<method>-seed<seed>-<fingerprint>`: one folder per distinct config."""
    return Path(root) / f"{cfg.dataset}-{cfg.method}-seed{cfg.seed}-{config_fingerprint(cfg)}"


def load_history(out_dir) -> dict:
    """history.json of a finished run."""
    return json.loads((Path(out_dir) / "history.json").read_text())
