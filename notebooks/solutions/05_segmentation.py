"""Worked solutions of notebook 05's exercises.

`solution_N(**context)` returns answer_N; `context` is the notebook's parameters (profile,
device, out_dir, seed, cache_dir, data_root, dataset). Every run lives in a folder named by its
config's fingerprint (`runs.store.run_folder`), so a changed setting trains its own run and
the notebook's run is read back. The checks are in `ddad_lite/lessons/segmentation_exercises.py`.
"""

import torch

from ddad_lite.config.building import make_config
from ddad_lite.data import dataset_info
from ddad_lite.lessons.segmentation_exercises import learning_order, trained_student
from ddad_lite.paths import series_paths
from ddad_lite.runs.store import load_history, run_folder, run_or_load
from ddad_lite.teacher import load_or_train_teacher
from ddad_lite.viz import load_snapshots


def _runner(profile="quick", device="cpu", out_dir="runs/interactive/05_segmentation", seed=0,
            cache_dir=None, data_root=None, dataset="scenes", **_):
    """run(method, **settings) -> (metrics, run folder), as the notebook runs it."""
    paths = series_paths(cache_dir=cache_dir, data_root=data_root, out_dir=out_dir)

    def run(method="ddad", **settings):
        cfg = make_config(dataset, method, profile, device=device, seed=seed, progress=False,
                          data_root=str(paths["data_root"]), **settings)
        teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=paths["cache_dir"],
                                        data_root=cfg.data_root, device=device, progress=False)
        run_dir = run_folder(paths["out_dir"], cfg)
        return run_or_load(cfg, run_dir, teacher=teacher), run_dir

    return run


def solution_1(**context):
    """Final student mIoU with each half of L_G alone (and both). Which half wins depends on
    the budget and the seed; the snapshots show what each generator draws."""
    run = _runner(**context)
    return {m: run(m)[0]["student_miou"] for m in ("dfad", "bn_only", "ddad")}


def solution_2(**context):
    """The largest fall of the student's mIoU with log(1 + L1) (the recipe) and with plain L1:
    the logarithm damps the generator's push once S and T disagree a lot."""
    run = _runner(**context)
    return {name: run("ddad", generator_discrepancy=name)[0]["forgetting_max_drop"]
            for name in ("log_l1", "l1")}


def solution_3(**context):
    """The student's IoU per class beside the share of the class in G's images (T's masks)."""
    _, run_dir = _runner(**context)("ddad")
    info = dataset_info(context.get("dataset", "scenes"))
    return learning_order(load_history(run_dir), load_snapshots(run_dir), info)


def solution_4(**context):
    """The trained student on a batch twice the training size in height and three times in
    width: it returns class maps of the input's size."""
    _, run_dir = _runner(**context)("ddad")
    student = trained_student(run_dir)
    size = dataset_info(context.get("dataset", "scenes")).image_size
    x = torch.randn(2, 3, 2 * size, 3 * size)
    with torch.no_grad():
        return {"input": tuple(x.shape), "output": tuple(student(x).shape)}
