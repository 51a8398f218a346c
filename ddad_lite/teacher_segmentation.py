"""Training a segmentation teacher: per-pixel cross-entropy, scored by mIoU.

    L = mean over labelled pixels p of -log softmax(T(x))[p, y_p]

Pixels labelled `ignore_index` (void) do not count. SGD with Nesterov momentum and a one-cycle
schedule, as the classification teachers; only the train split trains (with the dataset's
own augmentation, e.g. CamVid's random 128 crops and flips), and the test split (or its first
`recipe.eval_size` images, for smoke runs) gives the mIoU recorded with the teacher.
`teacher.train_teacher` dispatches here for datasets whose task is segmentation.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset, TensorDataset
from tqdm.auto import tqdm

from .config import TeacherConfig
from .data import dataset_info, get_dataset
from .metrics import eval_loader, evaluate
from .models import build


def train_segmentation_teacher(recipe: TeacherConfig, *, data_root=None, device="cpu",
                               progress=True, num_workers: int = 0):
    """Train a segmentation teacher from its recipe; returns (model, test mIoU)."""
    info = dataset_info(recipe.dataset)
    torch.manual_seed(recipe.seed)
    device = torch.device(device)
    kwargs = {} if info.embedded else {"train_transform": True}
    train = get_dataset(recipe.dataset, "train", data_root, **kwargs)
    if recipe.train_size is not None and recipe.train_size < len(train):
        train = Subset(train, range(recipe.train_size))
    if info.embedded and hasattr(train, "tensors"):
        train = TensorDataset(*train.tensors())  # in memory, no augmentation: fast batches
    loader = DataLoader(train, batch_size=recipe.batch_size, shuffle=True,
                        drop_last=len(train) > recipe.batch_size, num_workers=num_workers,
                        generator=torch.Generator().manual_seed(recipe.seed))
    model = build(recipe.model, num_classes=info.num_classes, channels=info.channels,
                  **recipe.model_kwargs).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          weight_decay=recipe.weight_decay, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=recipe.lr, total_steps=recipe.epochs * len(loader), pct_start=0.15)
    ignore = info.ignore_index if info.ignore_index is not None else -100
    bar = tqdm(total=recipe.epochs * len(loader), disable=not progress,
               desc=f"teacher {recipe.model} on {recipe.dataset}", dynamic_ncols=True)
    model.train()
    for _ in range(recipe.epochs):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            # Per-pixel cross-entropy; void pixels are ignored.
            loss = nn.functional.cross_entropy(model(x), y, ignore_index=ignore)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    test = get_dataset(recipe.dataset, "test", data_root)
    scores = evaluate(model, eval_loader(test, size=recipe.eval_size), info=info, device=device)
    return model, scores["miou"]
