"""The two bounds a data-free student is read between: neither is a data-free method.

Both train the same student S with the same loss and schedule as DFAD's loop (k student
steps per iteration, each on a fresh batch of `batch_size` images,
L_S = D(S(x), T(x))), so that a run of either sees exactly as many student updates and images
as a DDAD run of the same config. Only where x comes from differs:

    kd_real_data      x = real *training* images (upper bound: it uses the data that
                      data-free distillation is not allowed to see)
    random_generator  x = G_0(z), z ~ N(0, I), G_0 the generator at its initialisation, never
                      updated (lower bound: what a generator that learnt nothing gives)

`kd_real_data` reads the images the teacher was trained on and nothing else: the train split
less the validation split (`teacher_recipe.val_size`, `val_seed`; data/validation.py), cut to
`teacher_recipe.train_size` as the teacher's training cut it, with the teacher's augmentation
for real datasets. They are drawn without replacement, a fresh permutation per pass (seeded
by the run's seed), and the permutation and position are saved in checkpoints. The student is
then scored as every run is, on the validation and test splits.

`random_generator` keeps G in train mode, as the engine runs every generator: its BatchNorm
layers normalise each batch with that batch's statistics, but no weight of G ever changes.
"""

from __future__ import annotations

import torch

from ..config import DistillConfig
from ..data import dataset_info, get_dataset
from ..data.validation import training_indices
from .base import Engine, KDSettings, Method, detached


class _StudentOnly(Method):
    """DFAD's loop without its generator step: k steps of S on images from `images`."""

    Settings = KDSettings
    uses_generator = False  # G's lr schedule is not stepped either

    def iteration(self, e: Engine, memory=None) -> dict:
        for _ in range(e.cfg.student_steps):
            with torch.no_grad(), e.autocast():
                x = self.images(e)
            loss_S = self.distil(e, x)
        return detached({"loss_S": loss_S, "loss_G": torch.zeros((), device=loss_S.device)})

    def images(self, e: Engine) -> torch.Tensor:
        """A batch of x: G(z) of the generator at its initialisation."""
        return e.nets.G(e.sample_z())

    def images_per_iteration(self) -> int:
        return self.cfg.student_steps * self.cfg.batch_size


class RandomGenerator(_StudentOnly):
    """Lower bound: S distilled on images of a generator frozen at its initialisation."""

    name = "random_generator"


class RealDataKD(_StudentOnly):
    """Upper bound: S distilled on the teacher's real training images (uses data)."""

    name = "kd_real_data"

    def __init__(self, cfg: DistillConfig, *, name: str | None = None):
        super().__init__(cfg, name=name)
        self.order: torch.Tensor | None = None
        self.position = 0
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self._train = None

    def training_images(self):
        """The teacher's training images (a dataset of (x, y); y is never read)."""
        if self._train is None:
            recipe = self.cfg.teacher_recipe
            info = dataset_info(self.cfg.dataset)
            kwargs = {} if info.embedded else {"train_transform": True}
            train = get_dataset(self.cfg.dataset, "train", self.cfg.data_root, **kwargs)
            keep = training_indices(len(train), size=recipe.val_size, seed=recipe.val_seed)
            if recipe.train_size is not None:
                keep = keep[:recipe.train_size]
            self._train = (train, torch.as_tensor(keep, dtype=torch.long))
        return self._train

    def next_indices(self, n: int) -> torch.Tensor:
        """The next `n` indices into the train split, a fresh permutation per pass."""
        _, keep = self.training_images()
        chosen = []
        while n > 0:
            if self.order is None or self.position >= len(self.order):
                self.order = keep[torch.randperm(len(keep), generator=self.rng)]
                self.position = 0
            take = self.order[self.position:self.position + n]
            self.position += len(take)
            n -= len(take)
            chosen.append(take)
        return torch.cat(chosen)

    def _images(self, indices: torch.Tensor) -> torch.Tensor:
        train, _ = self.training_images()
        x = torch.stack([train[int(i)][0] for i in indices])
        fmt = torch.channels_last if self.cfg.channels_last else torch.preserve_format
        return x.to(self.cfg.device, memory_format=fmt)

    def images(self, e: Engine) -> torch.Tensor:
        """The next batch of the teacher's real training images."""
        return self._images(self.next_indices(self.cfg.batch_size))

    def snapshot_images(self, e: Engine, z: torch.Tensor) -> torch.Tensor:
        """The first len(z) training images (fixed), in place of G(z)."""
        _, keep = self.training_images()
        return self._images(keep[:len(z)])

    def state_dict(self) -> dict:
        return {"order": self.order, "position": self.position, "rng": self.rng.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.order, self.position = state["order"], state["position"]
        self.rng.set_state(state["rng"])
