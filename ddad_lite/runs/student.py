"""A run's student on its own: load it from the run folder, score it on a split.

    python -m ddad_lite eval runs/pets --split test

The run folder's `metrics.json` names the config (dataset, student and its settings) and its
`checkpoint.pt` holds the student's weights; the student is built again from the config and
loaded (`load_student`). `evaluate_run` scores it on the dataset's `test` or `train` split, or
on `val`, the validation split the run held out of the train split (`val_size` images drawn
with `val_seed`), and returns the run's own test score beside it for comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch.nn as nn

from ..config import DistillConfig
from ..data import dataset_info, get_dataset
from ..data.validation import validation_split
from ..errors import UserError
from ..files import load_torch
from ..metrics import eval_loader, evaluate
from ..models import build

SPLITS = ("test", "val", "train")


def run_config(run_dir, *, data_root=None) -> DistillConfig:
    """The config of the finished run in `run_dir` (its dataset found under `data_root`, or
    the run's own data root)."""
    path = Path(run_dir) / "metrics.json"
    if not path.is_file():
        raise UserError(f"{run_dir} holds no finished run (no metrics.json); give the --out "
                        f"folder of a distill run")
    try:
        cfg = DistillConfig.from_dict(json.loads(path.read_text())["config"])
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{path} is not a run's metrics.json (no readable config); give the "
                        f"--out folder of a distill run") from None
    if data_root is not None:
        cfg.data_root = str(data_root)
    dataset_info(cfg.dataset, cfg.data_root)  # an image folder of one's own: found here
    return cfg


def load_student(run_dir, *, data_root=None) -> tuple[nn.Module, DistillConfig]:
    """(the run's student in eval mode on the CPU, the run's config)."""
    cfg = run_config(run_dir, data_root=data_root)
    info = dataset_info(cfg.dataset, cfg.data_root)
    state = load_torch(Path(run_dir) / "checkpoint.pt", what="checkpoint",
                       hint="the run folder is incomplete: run distill again")
    student = build(cfg.student, num_classes=info.num_classes, channels=info.channels,
                    **cfg.student_kwargs)
    weights = {k.removeprefix("_orig_mod."): v for k, v in state["student"].items()}
    student.load_state_dict(weights)
    return student.eval(), cfg


def evaluate_run(run_dir, *, split: str = "test", data_root=None, device: str = "cpu",
                 size: int | None = None) -> dict:
    """The student's score on `split` (`size` images of it, default all), with the run's."""
    if split not in SPLITS:
        raise UserError(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    student, cfg = load_student(run_dir, data_root=data_root)
    info = dataset_info(cfg.dataset, cfg.data_root)
    if split == "val":
        dataset = validation_split(cfg.dataset, cfg.data_root, size=cfg.val_size,
                                   seed=cfg.val_seed)
        if dataset is None:
            raise UserError(f"the run in {run_dir} held out no validation split (val_size "
                            f"0); score it on --split test")
    else:
        kwargs = {} if info.embedded or split == "test" else {"train_transform": False}
        dataset = get_dataset(cfg.dataset, split, cfg.data_root, **kwargs)
    scores = evaluate(student.to(device), eval_loader(dataset, size=size), info=info,
                      device=device)
    key = "acc" if info.task == "classification" else "miou"
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    return {"run": str(run_dir), "dataset": cfg.dataset, "student": cfg.student,
            "split": split, "images": min(len(dataset), size or len(dataset)),
            f"student_{key}": scores[key],
            f"run_student_{key}": metrics.get(f"student_{key}"),
            "run_test_images": metrics.get("test_images")}
