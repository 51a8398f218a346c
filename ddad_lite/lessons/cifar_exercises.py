"""Notebook 04's exercises: CIFAR-100 against CIFAR-10, a teacher from a file, collapse.

- With B synthetic images per batch and C classes, a batch shows each class B / C times on
  average: CIFAR-100 gives every class a tenth of what CIFAR-10 does, on the same budget.
- A teacher written as a bare state dict and read back through `teacher_file` is the same
  network: its accuracy on the same test images is the cached one.
- The teacher's normalised class entropy on G's images, H / ln C with H the entropy of T's
  predicted classes over a batch (`metrics.class_entropy`), is 1 for classes spread evenly
  and near 0 when the generator collapses onto a few; it is comparable between datasets.
"""

from __future__ import annotations

import math

from ..config.building import make_config
from ..config.recipes import PROFILES
from ..data import dataset_info
from .exercises import NotYet, exercise


def images_per_class(dataset: str, profile: str) -> float:
    """Synthetic images per class in one batch of `dataset`'s DDAD recipe: B / C."""
    return make_config(dataset, "ddad", profile).batch_size / dataset_info(dataset).num_classes


def _fraction(value, what: str) -> float:
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise NotYet(f"{what} is a fraction in [0, 1], not {value!r}")
    return float(value)


@exercise("04", 1)
def _images_per_class(answer) -> str:
    """{"cifar10": B / 10, "cifar100": B / 100} for the recipe of one profile."""
    if not isinstance(answer, dict) or not {"cifar10", "cifar100"} <= set(answer):
        raise NotYet("give {'cifar10': images per class in a batch, 'cifar100': ...}")
    if not all(isinstance(answer[d], (int, float)) for d in ("cifar10", "cifar100")):
        raise NotYet("each value is a number of images per class: batch size / classes")
    for profile in PROFILES:
        expected = {d: images_per_class(d, profile) for d in ("cifar10", "cifar100")}
        if all(math.isclose(float(answer[d]), v, rel_tol=1e-6) for d, v in expected.items()):
            return (f"{profile}: {expected['cifar10']:g} images per class and batch on "
                    f"CIFAR-10, {expected['cifar100']:g} on CIFAR-100; the recipes differ only "
                    f"in the dataset, so each class gets a tenth of the synthetic images")
    raise NotYet("divide the recipe's batch size (cfg.batch_size) by the number of classes "
                 "(dataset_info(name).num_classes), for the same profile")


@exercise("04", 2)
def _teacher_from_file(answer) -> str:
    """{"cached": the record's accuracy, "from_file": measured on the teacher read back}."""
    if not isinstance(answer, dict) or not {"cached", "from_file"} <= set(answer):
        raise NotYet("give {'cached': record['accuracy'], 'from_file': the accuracy of the "
                     "teacher loaded through teacher_file}")
    cached = _fraction(answer["cached"], "an accuracy")
    loaded = _fraction(answer["from_file"], "an accuracy")
    if abs(cached - loaded) > 0.005:
        raise NotYet(f"{cached:.3f} against {loaded:.3f}: the file should hold the same "
                     f"weights; score both on the same (whole) test split")
    return (f"both {loaded:.1%}: the state dict is the teacher; a published file (DFAD's) is "
            f"measured the same way, beside ours")


@exercise("04", 3)
def _entropy_curve(answer) -> str:
    """[(iteration, teacher_class_entropy), ...] over the snapshots, in order."""
    try:
        points = [(int(i), float(h)) for i, h in answer]
    except (TypeError, ValueError):
        raise NotYet("give a list of (iteration, snapshot['teacher_class_entropy']) "
                     "pairs") from None
    if len(points) < 2:
        raise NotYet("give at least two snapshots, to see a trend")
    iterations = [i for i, _ in points]
    if iterations != sorted(set(iterations)):
        raise NotYet("list the snapshots in the order of training, each iteration once")
    for _, h in points:
        _fraction(h, "a normalised class entropy")
    first, last = points[0][1], points[-1][1]
    verdict = ("collapsing onto a few classes" if last < 0.5 else
               "not collapsing (its images still spread over the classes)")
    return (f"the entropy goes from {first:.2f} to {last:.2f} over {len(points)} snapshots: "
            f"{verdict}")
