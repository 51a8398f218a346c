"""Notebook 00's exercises: the smoke teacher, the teacher cache's key, the confusion matrix.

The confusion matrix of a classifier over a test split is M (C x C), M[i, j] = the number of
test images of true class i predicted as class j, so that

    sum_j M[i, j] = the test images of class i,    accuracy = tr M / sum_ij M.

`teacher_confusion` computes it; the checks below verify what each answer must show.
"""

from __future__ import annotations

import dataclasses

import torch

from ..config import TeacherConfig
from ..config.building import make_config
from ..data import dataset_info, get_dataset
from ..data.shapes import SPLIT_SIZES
from ..metrics import confusion_matrix, eval_loader
from ..teacher import teacher_path
from .exercises import NotYet, exercise


@torch.no_grad()
def teacher_confusion(teacher: torch.nn.Module, dataset: str = "shapes", *, data_root=None,
                      device="cpu") -> torch.Tensor:
    """M (C x C, int64) of `teacher` over the whole test split of `dataset`."""
    info = dataset_info(dataset)
    preds, targets = [], []
    teacher.eval()
    for x, y in eval_loader(get_dataset(dataset, "test", data_root)):
        preds.append(teacher(x.to(device)).argmax(1).cpu())
        targets.append(y)
    return confusion_matrix(torch.cat(preds), torch.cat(targets), info.num_classes)


@exercise("00", 1)
def _smoke_teacher(answer) -> str:
    """The record of the smoke profile's teacher (load_or_train_teacher's second value)."""
    if not isinstance(answer, dict) or not {"accuracy", "recipe"} <= set(answer):
        raise NotYet("give the teacher's record: the second value `load_or_train_teacher` "
                     "returns (a dict with 'accuracy' and 'recipe')")
    recipe = answer["recipe"]
    smoke = dataclasses.asdict(make_config(recipe["dataset"], "ddad", "smoke").teacher_recipe)
    if recipe != smoke:
        raise NotYet(f"this teacher's recipe is not the smoke profile's ({recipe['epochs']} "
                     f"epoch(s) on {recipe['train_size']} images, smoke: {smoke['epochs']} on "
                     f"{smoke['train_size']}): set profile = 'smoke' and load its teacher")
    accuracy = float(answer["accuracy"])
    if not 0.0 <= accuracy <= 1.0:
        raise NotYet("the record's accuracy is a fraction in [0, 1]")
    chance = 1.0 / dataset_info(recipe["dataset"]).num_classes
    return (f"the smoke teacher ({smoke['epochs']} epoch on {smoke['train_size']} images) "
            f"scores {accuracy:.1%} against chance {chance:.0%}: enough to run every line, "
            f"too little knowledge to distil")


@exercise("00", 2)
def _cache_key(answer) -> str:
    """{"default": a TeacherConfig, "changed": the same recipe with a field changed}."""
    recipes = answer if isinstance(answer, dict) else {}
    default, changed = recipes.get("default"), recipes.get("changed")
    if not (isinstance(default, TeacherConfig) and isinstance(changed, TeacherConfig)):
        raise NotYet("give {'default': cfg.teacher_recipe, 'changed': the teacher_recipe of "
                     "make_config(..., teacher_recipe={'epochs': 3})}")
    differ = [f.name for f in dataclasses.fields(TeacherConfig)
              if getattr(default, f.name) != getattr(changed, f.name)]
    if not differ:
        raise NotYet("the two recipes are equal: change a field of the teacher's recipe")
    names = [teacher_path(r, cache_dir=".").name for r in (default, changed)]
    return (f"the recipes differ in {', '.join(differ)}, so their cache files differ "
            f"({names[0]} and {names[1]}): the name ends in a hash of the whole recipe "
            f"(teacher.recipe_key), so a cached teacher is only loaded for its own recipe")


@exercise("00", 3)
def _confusion(answer) -> str:
    """The teacher's confusion matrix over the whole shapes test split."""
    try:
        m = torch.as_tensor(answer)
    except (TypeError, ValueError, RuntimeError):
        raise NotYet("give the confusion matrix as a tensor (or array) of counts") from None
    info = dataset_info("shapes")
    n = info.num_classes
    if tuple(m.shape) != (n, n):
        raise NotYet(f"M is {n} x {n} (rows: true class, columns: predicted), not "
                     f"{tuple(m.shape)}")
    if (m < 0).any() or (m != m.round()).any():
        raise NotYet("M counts images: its entries are non-negative integers")
    m = m.long()
    total, test_size = int(m.sum()), SPLIT_SIZES["test"]
    if total != test_size:
        raise NotYet(f"M counts {total} images; the test split has {test_size}: predict "
                     f"every test image once")
    off = m.clone().fill_diagonal_(0)
    i, j = divmod(int(off.argmax()), n)
    names = info.class_names
    return (f"accuracy tr M / sum M = {float(m.trace()) / total:.1%}; the most confused: "
            f"{int(off[i, j])} {names[i]} taken for {names[j]}")
