"""Notebook 05's exercises: which half of L_G matters, log(1 + L1) against L1, which classes
come last, and fully convolutional models on frames of another size.

The share of class c in the generator's images, as the teacher reads them, is the fraction of
the pixels of the snapshots' teacher masks labelled c:

    share_c = #{pixels p : argmax_k T(x)_kp = c} / #{pixels},    sum_c share_c = 1,

set beside the student's IoU of class c on the real test split (`learning_order`).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ..config import DistillConfig
from ..data import dataset_info
from ..files import load_torch
from ..models import build
from .exercises import NotYet, exercise


def trained_student(run_dir) -> torch.nn.Module:
    """The student of a finished run, from its checkpoint, in eval mode on the CPU."""
    state = load_torch(Path(run_dir) / "checkpoint.pt", what="checkpoint",
                       hint="run the distillation first")
    cfg = DistillConfig.from_dict(state["config"])
    info = dataset_info(cfg.dataset)
    student = build(cfg.student, num_classes=info.num_classes, channels=info.channels,
                    **cfg.student_kwargs)
    student.load_state_dict(state["student"])
    return student.eval()


def mask_class_shares(snapshots: list[dict], num_classes: int) -> list[float]:
    """share_c of every class over the teacher masks of all `snapshots`."""
    counts = sum(torch.bincount(s["teacher_pred"].flatten().long(), minlength=num_classes)
                 for s in snapshots)
    return (counts.double() / counts.sum().clamp(min=1)).tolist()


def learning_order(history: dict, snapshots: list[dict], info) -> dict:
    """{class name: {"iou": the student's IoU at the last evaluation (None: absent), "share":
    share_c in G's images}}, from a segmentation run's history and snapshots."""
    ious = history["eval"][-1]["student_per_class_iou"]
    shares = mask_class_shares(snapshots, info.num_classes)
    names = info.class_names or [str(c) for c in range(info.num_classes)]
    return {name: {"iou": iou, "share": share}
            for name, iou, share in zip(names, ious, shares, strict=True)}


def _scores(answer, keys: set, what: str) -> dict:
    if not isinstance(answer, dict) or not keys <= set(answer):
        raise NotYet(f"give a dict with the keys {sorted(keys)}: {what}")
    for key, value in answer.items():
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise NotYet(f"{key}: {what} is a number in [0, 1], not {value!r}")
    return answer


@exercise("05", 1)
def _which_half(answer) -> str:
    """{"dfad": student mIoU, "bn_only": student mIoU} (ddad may be added)."""
    scores = _scores(answer, {"dfad", "bn_only"}, "each method's final student mIoU")
    better = max(("dfad", "bn_only"), key=scores.get)
    half = "the adversarial term" if better == "dfad" else "the BN-statistics term"
    return (f"dfad {scores['dfad']:.3f}, bn_only {scores['bn_only']:.3f}: here {half} "
            f"({better}) carries more; one seed, so look at the snapshots too")


@exercise("05", 2)
def _log_or_not(answer) -> str:
    """{"log_l1": forgetting_max_drop, "l1": forgetting_max_drop}: the largest fall of mIoU."""
    drops = _scores(answer, {"log_l1", "l1"}, "the run's largest fall of the student's mIoU "
                    "(metrics['forgetting_max_drop'])")
    steadier = min(("log_l1", "l1"), key=drops.get)
    return (f"largest fall of mIoU: log(1 + L1) {drops['log_l1']:.3f}, L1 {drops['l1']:.3f}; "
            f"the steadier here: {steadier} (one seed)")


@exercise("05", 3)
def _learnt_last(answer) -> str:
    """{class: {"iou": student IoU or None, "share": share in G's images}} for every class."""
    if not isinstance(answer, dict) or len(answer) < 2 or not all(
            isinstance(v, dict) and {"iou", "share"} <= set(v) for v in answer.values()):
        raise NotYet("give {class name: {'iou': ..., 'share': ...}} for every class "
                     "(learning_order(history, snapshots, info) builds it)")
    for name, v in answer.items():
        if v["iou"] is not None and not 0.0 <= v["iou"] <= 1.0:
            raise NotYet(f"{name}: an IoU is in [0, 1] (None for a class absent from the test)")
        if not 0.0 <= v["share"] <= 1.0:
            raise NotYet(f"{name}: a share of pixels is in [0, 1]")
    total = sum(v["share"] for v in answer.values())
    if not math.isclose(total, 1.0, abs_tol=1e-3):
        raise NotYet(f"the shares sum to {total:.3f}: count every class's pixels in the "
                     f"teacher's masks and divide by all pixels")
    scored = {n: v for n, v in answer.items() if v["iou"] is not None}
    last = min(scored, key=lambda n: scored[n]["iou"])
    rarer = sorted(answer, key=lambda n: answer[n]["share"]).index(last) + 1
    return (f"learnt last: {last} (IoU {scored[last]['iou']:.3f}), the {rarer}. rarest of "
            f"{len(answer)} classes in G's images ({answer[last]['share']:.1%} of the pixels)")


@exercise("05", 4)
def _any_size(answer) -> str:
    """{"input": the shape of a batch at another size, "output": the student's logits' shape}."""
    try:
        shape_in, shape_out = tuple(answer["input"]), tuple(answer["output"])
    except (TypeError, KeyError):
        raise NotYet("give {'input': tuple(x.shape), 'output': tuple(S(x).shape)}") from None
    if len(shape_in) != 4 or len(shape_out) != 4:
        raise NotYet("both are (batch, channels, height, width)")
    if shape_out[0] != shape_in[0] or shape_out[2:] != shape_in[2:]:
        raise NotYet(f"the logits {shape_out} should have the batch and the height and width "
                     f"of the input {shape_in}")
    return (f"{shape_in[2]} x {shape_in[3]} images give {shape_out[1]} class maps of the same "
            f"size: a fully convolutional model scores frames of any size")
