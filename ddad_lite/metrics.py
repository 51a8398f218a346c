"""Metrics: top-1 accuracy, and summaries of an accuracy curve.

Accuracies are fractions in [0, 1]. Evaluation uses real test data only to *measure* the
student; it never trains it.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, Subset


def eval_loader(dataset: Dataset, *, batch_size: int = 500, size: int | None = None,
                num_workers: int = 0) -> DataLoader:
    """A deterministic loader over (the first `size` items of) a test split.

    It draws its randomness from a private generator, so evaluating never moves the global
    RNG: a run evaluated more often computes the same training steps.
    """
    if size is not None and size < len(dataset):
        dataset = Subset(dataset, range(size))
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                      generator=torch.Generator())


@torch.no_grad()
def accuracy(model: torch.nn.Module, loader, *, device="cpu", amp: bool = False) -> float:
    """Top-1 accuracy of `model` over `loader` (model put in eval mode, then restored)."""
    was_training = model.training
    model.eval()
    correct = total = 0
    device = torch.device(device)
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            pred = model(x).argmax(1)
        correct += (pred == y).sum().item()
        total += y.numel()
    model.train(was_training)
    return correct / max(total, 1)


PRIMARY_METRIC = {"classification": "acc"}


def evaluate(model: torch.nn.Module, loader, *, info, device="cpu", amp: bool = False) -> dict:
    """The task's metrics of `model` on `loader`: {"acc": ...} for classification."""
    if info.task == "classification":
        return {"acc": accuracy(model, loader, device=device, amp=amp)}
    raise ValueError(f"no evaluation for task {info.task!r}")


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
