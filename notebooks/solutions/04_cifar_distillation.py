"""Worked solutions of notebook 04's exercises.

`solution_N(**context)` returns answer_N; `context` is the notebook's parameters (profile,
device, out_dir, seed, cache_dir, data_root, dataset). Like the notebook, they fall back to
`shapes` when CIFAR is not prepared. The checks are in `ddad_lite/lessons/cifar_exercises.py`.
"""

import torch

from ddad_lite.config.building import make_config
from ddad_lite.data import get_dataset
from ddad_lite.data.prepare import dataset_summary
from ddad_lite.errors import UserError
from ddad_lite.lessons.cifar_exercises import images_per_class
from ddad_lite.metrics import accuracy, eval_loader
from ddad_lite.paths import series_paths
from ddad_lite.lessons.budgets import lesson_budget
from ddad_lite.runs.store import run_folder, run_or_load
from ddad_lite.teacher import load_or_train_teacher, load_teacher_file
from ddad_lite.viz import load_snapshots


def _notebook_run(profile="quick", device="cpu", out_dir="runs/interactive/04_cifar_distillation",
                  seed=0, cache_dir=None, data_root=None, dataset="cifar10", **_):
    """The notebook's config, teacher and paths (on shapes when `dataset` is not prepared)."""
    paths = series_paths(cache_dir=cache_dir, data_root=data_root, out_dir=out_dir)
    try:
        dataset_summary(dataset, root=paths["data_root"])
    except UserError:
        dataset = "shapes"
    overrides = dict(device=device, seed=seed, progress=False, data_root=str(paths["data_root"]))
    if dataset == "shapes":
        overrides.update(lesson_budget(profile))
    cfg = make_config(dataset, "ddad", profile, **overrides)
    teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                    data_root=paths["data_root"], device=device, progress=False)
    return cfg, teacher, paths


def solution_1(profile="quick", **context):
    """The kit runs DFAD's protocol on both datasets: the recipes differ only in the dataset
    (`config_differences`). On CIFAR-100 a batch shows each class a tenth as often, so the same
    budget teaches each class far less and a generator can leave many classes out: change the
    budget first (more iterations, or a larger batch), then watch the class entropy."""
    return {d: images_per_class(d, profile) for d in ("cifar10", "cifar100")}


def solution_2(**context):
    """Our teacher written as a bare state dict (as DFAD published theirs), read back through
    `teacher_file`'s loader and scored on the same test images as its record."""
    cfg, (teacher, record), paths = _notebook_run(**context)
    path = paths["out_dir"] / "teacher_state_dict.pt"
    torch.save(teacher.state_dict(), path)
    loaded, _ = load_teacher_file(path, cfg.teacher_recipe)
    loaded = loaded.to(context.get("device", "cpu"))
    test = get_dataset(cfg.dataset, "test", paths["data_root"])
    measured = accuracy(loaded, eval_loader(test, size=cfg.teacher_recipe.eval_size),
                        device=context.get("device", "cpu"))
    return {"cached": record["accuracy"], "from_file": measured}


def solution_3(**context):
    """T's normalised class entropy on G's fixed-z images at every snapshot: a curve falling
    towards 0 is a generator collapsing onto a few classes."""
    cfg, teacher, paths = _notebook_run(**context)
    run_dir = run_folder(paths["shared_runs"], cfg)
    run_or_load(cfg, run_dir, teacher=teacher)
    return [(s["iteration"], s["teacher_class_entropy"]) for s in load_snapshots(run_dir)]
