"""The validation split: `size` images carved from a dataset's *train* split, chosen by a seed.

    val = validation_indices(n_train, size=2000, seed=0)   # sorted indices into the train split
    keep = training_indices(n_train, size=2000, seed=0)    # the rest, in their order

With P = randperm(n_train) drawn from a generator seeded with `seed`, the validation split is
V = sorted(P[:size]) and the teacher trains on the train split minus V. V never meets the test
split (it is drawn from another split), so every choice a run makes (the "best" evaluation,
a schedule) can be made on V while the test split is only reported. Validation images are
read without augmentation. The student never trains on them: it only is evaluated on them,
exactly as on the test split. `size` 0 means no validation split (the train split is whole).
"""

from __future__ import annotations

import torch
from torch.utils.data import Subset

from . import dataset_info, get_dataset


def validation_indices(n_train: int, *, size: int, seed: int) -> list[int]:
    """The sorted indices of the validation split among `n_train` train images."""
    size = min(max(int(size), 0), n_train)
    order = torch.randperm(n_train, generator=torch.Generator().manual_seed(seed))
    return sorted(order[:size].tolist())


def training_indices(n_train: int, *, size: int, seed: int) -> list[int]:
    """The indices of the train split left for training once validation is carved out."""
    held_out = set(validation_indices(n_train, size=size, seed=seed))
    return [i for i in range(n_train) if i not in held_out]


def validation_split(name: str, root=None, *, size: int, seed: int):
    """The validation split of dataset `name` (train images, no augmentation), or None when
    `size` is 0."""
    if not size:
        return None
    kwargs = {} if dataset_info(name).embedded else {"train_transform": False}
    train = get_dataset(name, "train", root, **kwargs)
    return Subset(train, validation_indices(len(train), size=size, seed=seed))
