"""Datasets by name: `get_dataset(name, split, root)`.

Every dataset is registered with a `DatasetInfo` (task, classes, size, normalisation) and a
loader function. Loaders return a `torch.utils.data.Dataset` whose items are
`(image, target)`: `image` a float tensor of shape (C, H, W), normalised with the dataset's
mean and std; `target` a class index (classification) or an (H, W) long tensor of class ids
(segmentation, `ignore_index` marks void pixels).

Embedded datasets (`shapes`) are made by the package and need no download. The others are read
from the data root (`--data-root`, else `$DDAD_DATA`, else `./data`) after
`python -m ddad_lite data prepare NAME`; when missing, the error says that command.

Real data only ever *evaluates* the student in this kit; nothing in the distillation engine
draws training batches from it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..errors import UserError, unknown_name
from ..paths import resolve_data_root


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str  # "classification" or "segmentation"
    num_classes: int
    image_size: int
    channels: int
    mean: tuple
    std: tuple
    splits: tuple = ("train", "test")
    embedded: bool = False  # made by the package: no download, no data root
    ignore_index: int | None = None
    class_names: tuple = field(default=())


_REGISTRY: dict[str, tuple[DatasetInfo, Callable]] = {}


def register(info: DatasetInfo):
    """Decorator: register `fn(split, root, **kwargs) -> Dataset` under `info.name`."""

    def wrap(fn):
        _REGISTRY[info.name] = (info, fn)
        return fn

    return wrap


def available_datasets() -> list[str]:
    _import_all()
    return sorted(_REGISTRY)


# Image folders a user prepared under a name of their own (`data prepare imagefolder --from
# DIR --name NAME`), found in the data root by their manifest; the latest one found per name.
_PREPARED: dict[str, tuple[DatasetInfo, Callable]] = {}


def find_prepared(name: str, root: str | os.PathLike | None = None) -> DatasetInfo | None:
    """The info of the image folder prepared as `name` under `root` (registered for the rest
    of the process), or None when there is none."""
    from .imagefolder import prepared_entry  # a genuine cycle: imagefolder imports this package

    entry = prepared_entry(name, root)
    if entry is None:
        return None
    _PREPARED[name] = entry
    return entry[0]


def dataset_info(name: str, root: str | os.PathLike | None = None) -> DatasetInfo:
    """The facts of dataset `name`: a kit dataset, or an image folder prepared under that
    name (looked up in `root`, else the one found last, else the default data root)."""
    _import_all()
    entry = _entry(name, root)
    if entry is None:
        raise unknown_name("dataset", name, _REGISTRY)
    return entry[0]


def _entry(name: str, root) -> tuple[DatasetInfo, Callable] | None:
    if name in _REGISTRY and _REGISTRY[name][0].num_classes:
        return _REGISTRY[name]
    if root is not None or name not in _PREPARED:
        find_prepared(name, root)
    return _PREPARED.get(name) or _REGISTRY.get(name)


def get_dataset(name: str, split: str, root: str | os.PathLike | None = None, **kwargs):
    """The dataset `name` at `split`, read from `root` (default: `paths.resolve_data_root()`)."""
    info = dataset_info(name, root)
    if split not in info.splits:
        raise UserError(f"dataset {name!r} has no split {split!r}; choose one of: "
                        f"{', '.join(info.splits)}")
    root = resolve_data_root(root)
    return _entry(name, root)[1](split, root, **kwargs)


def denormalize(x: torch.Tensor, info: DatasetInfo) -> torch.Tensor:
    """Map normalised images back to [0, 1] for display."""
    mean = torch.tensor(info.mean, device=x.device).view(1, -1, 1, 1)
    std = torch.tensor(info.std, device=x.device).view(1, -1, 1, 1)
    return (x * std + mean).clamp(0, 1)


# One module per dataset; importing it registers it.
_MODULES = ("shapes", "scenes", "cifar10", "cifar100", "mnist", "caltech101", "camvid", "nyuv2",
            "imagefolder")


def _import_all():
    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
