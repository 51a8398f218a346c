"""Metrics: top-1 accuracy, mIoU for segmentation, and summaries of a score curve.

Segmentation is scored from a confusion matrix M accumulated over every evaluated pixel
(pixels labelled `ignore_index` are left out), M[i, j] = #pixels of true class i predicted j:

    IoU_c     = M[c, c] / (sum_j M[c, j] + sum_i M[i, c] - M[c, c])
    mIoU      = mean of IoU_c over the classes that occur (in the labels or the predictions)
    pixel_acc = trace(M) / sum(M)

Scores are fractions in [0, 1]. Evaluation uses real data (the test split, and the validation
split carved from the train split) only to *measure* the student; it never trains it. Which
evaluation is reported as "best" is chosen on validation (`selected_summary`). The collapse
measure is `class_entropy` (normalised entropy of T's predicted classes, comparable across
class counts) with `effective_classes` (exp of that entropy).
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from .data.on_device import DeviceLoader, DeviceSplit, uint8_tensors


def eval_loader(dataset: Dataset, *, batch_size: int = 500, size: int | None = None,
                num_workers: int = 0, device="cpu"):
    """A deterministic loader over a test split, or over `size` of its items.

    An in-memory classification split is moved to `device` as uint8 and read there in
    batches (`data.on_device.DeviceLoader`: the same normalised images, no per-item Python);
    any other dataset, or one that augments its items, is read through a DataLoader.

    The `size` items are a fixed sample spread over the whole split (a permutation seeded
    with 0, the same for every run and every call): a split stored class by class, like an
    imported class-folder archive, would otherwise be scored on its first classes only.
    It draws its randomness from a private generator, so evaluating never moves the global
    RNG: a run evaluated more often computes the same training steps.
    """
    if size is not None and size < len(dataset):
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))
        dataset = Subset(dataset, sorted(order[:size].tolist()))
    found = uint8_tensors(dataset)
    if found is not None and not found[4]:  # in memory, not augmenting
        return DeviceLoader(DeviceSplit.of(dataset, device), batch_size=batch_size)
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                      generator=torch.Generator())


@torch.no_grad()
def accuracy(model: torch.nn.Module, loader, *, device="cpu", amp: bool = False,
             channels_last: bool = False) -> float:
    """Top-1 accuracy of `model` over `loader` (model put in eval mode, then restored)."""
    was_training = model.training
    model.eval()
    correct = total = 0
    device = torch.device(device)
    layout = torch.channels_last if channels_last else torch.preserve_format
    for x, y in loader:
        x = x.to(device, non_blocking=True, memory_format=layout)
        y = y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            pred = model(x).argmax(1)
        correct += (pred == y).sum().item()
        total += y.numel()
    model.train(was_training)
    return correct / max(total, 1)


@torch.no_grad()
def mean_logit_norm(model: torch.nn.Module, loader, *, device="cpu",
                    max_images: int = 1000) -> float:
    """The mean L2 norm of the logits ||f(x)||_2 (per image, or per pixel for segmentation)
    over the first `max_images` images of `loader`: the scale T's logits have on real data,
    beside which a generator that inflates them can be seen (snapshots' `teacher_logit_norm`)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for x, _ in loader:
        norms = model(x.to(device)).float().norm(dim=1)
        total, count = total + float(norms.sum()), count + norms.numel()
        if count >= max_images * (norms.numel() // len(x)):
            break
    model.train(was_training)
    return total / max(count, 1)


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int, *,
                     ignore_index: int | None = None) -> torch.Tensor:
    """M (num_classes, num_classes), int64: M[i, j] counts pixels of true class i predicted j.

    Pixels whose target is `ignore_index` (or outside 0..num_classes-1) are not counted."""
    pred, target = pred.flatten().long(), target.flatten().long()
    keep = (target >= 0) & (target < num_classes)
    if ignore_index is not None:
        keep &= target != ignore_index
    index = target[keep] * num_classes + pred[keep]
    return torch.bincount(index, minlength=num_classes**2).view(num_classes, num_classes)


def miou(confusion: torch.Tensor) -> dict:
    """{"miou", "pixel_acc", "per_class_iou"} from a confusion matrix; the IoU of a class that
    occurs neither in the labels nor in the predictions is None and left out of the mean."""
    m = confusion.double()
    true_positive = m.diag()
    union = m.sum(0) + m.sum(1) - true_positive
    iou = true_positive / union.clamp(min=1)
    present = union > 0
    return {
        "miou": float(iou[present].mean()) if present.any() else 0.0,
        "pixel_acc": float(true_positive.sum() / m.sum().clamp(min=1)),
        "per_class_iou": [float(v) if p else None for v, p in zip(iou, present, strict=True)],
    }


@torch.no_grad()
def segmentation_scores(model: torch.nn.Module, loader, *, num_classes: int,
                        ignore_index: int | None = None, device="cpu",
                        amp: bool = False) -> dict:
    """mIoU, pixel accuracy and per-class IoU of `model` over `loader` of (image, mask)."""
    was_training = model.training
    model.eval()
    device = torch.device(device)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    for x, y in loader:
        # Whole frames are large: the model sees about 2**21 input values at a time.
        chunk = max(1, 2**21 // x[0].numel())
        for xc, yc in zip(x.split(chunk), y.split(chunk), strict=True):
            xc, yc = xc.to(device, non_blocking=True), yc.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                pred = model(xc).argmax(1)
            confusion += confusion_matrix(pred, yc, num_classes, ignore_index=ignore_index)
    model.train(was_training)
    return miou(confusion.cpu())


PRIMARY_METRIC = {"classification": "acc", "segmentation": "miou"}


def evaluate(model: torch.nn.Module, loader, *, info, device="cpu", amp: bool = False,
             channels_last: bool = False) -> dict:
    """The task's metrics of `model` on `loader` (no autograd; batches of the loader's size,
    in channels_last if asked): {"acc": ...} for classification; {"miou", "pixel_acc",
    "per_class_iou"} for segmentation."""
    if info.task == "classification":
        return {"acc": accuracy(model, loader, device=device, amp=amp,
                                channels_last=channels_last)}
    if info.task == "segmentation":
        return segmentation_scores(model, loader, num_classes=info.num_classes,
                                   ignore_index=info.ignore_index, device=device, amp=amp)
    raise ValueError(f"no evaluation for task {info.task!r}")


def class_entropy(pred: torch.Tensor, num_classes: int) -> float:
    """The collapse measure: the entropy H of the predicted class frequencies p divided by
    the largest entropy these predictions could have,

        H = -sum_c p_c ln p_c,    class_entropy = H / ln(min(n, C))   in [0, 1]

    for n predictions over C classes: 1.0 when they are spread as evenly as n allows, 0 when
    one class takes all (generator collapse). Dividing by ln(min(n, C)), not ln C, makes it
    comparable across class counts and batch sizes: 32 predictions over 100 classes, all
    different, score 1.0 as 10 equally frequent classes over 10 do."""
    counts = torch.bincount(pred.flatten().long(), minlength=num_classes).double()
    p = counts[counts > 0] / counts.sum()
    largest = min(pred.numel(), num_classes)
    if largest < 2:
        return 1.0
    return max(0.0, float(-(p * p.log()).sum() / torch.log(torch.tensor(float(largest)))))


def effective_classes(pred: torch.Tensor, num_classes: int) -> float:
    """exp(H) of the predicted class frequencies: the number of equally frequent classes
    with the same entropy (1 for total collapse, C for a uniform spread over C classes)."""
    counts = torch.bincount(pred.flatten().long(), minlength=num_classes).double()
    p = counts[counts > 0] / counts.sum()
    return float(torch.exp(-(p * p.log()).sum()))


def selected_summary(test: list[float], validation: list[float] | None = None) -> dict:
    """The scores a run reports from its evaluations: final and mean of the test curve, and
    the "best" evaluation chosen on the validation curve (the first of its maxima): its test
    score (`best`), its validation score (`best_val`) and its index. Without validation the
    best is chosen on the test curve itself (optimistic, as published numbers are);
    `best_on_test` is that maximum in both cases."""
    summary = curve_summary(test)
    chooser = validation if validation else test
    index = max(range(len(chooser)), key=chooser.__getitem__) if chooser else None
    return {**summary, "best_on_test": summary["best"],
            "best": None if index is None else test[index],
            "best_val": None if index is None or not validation else validation[index],
            "best_index": index, "selected_on": "validation" if validation else "test"}


def curve_summary(values: list[float]) -> dict:
    """Final, mean and best of an accuracy curve, and the largest drop from one evaluation
    to any later one (a measure of forgetting)."""
    if not values:
        return {"final": None, "mean": None, "best": None, "max_drop": None}
    peak, max_drop = values[0], 0.0
    for v in values:
        peak = max(peak, v)
        max_drop = max(max_drop, peak - v)
    return {"final": values[-1], "mean": sum(values) / len(values), "best": max(values),
            "max_drop": max_drop}
