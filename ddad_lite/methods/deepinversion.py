"""DeepInversion (Yin et al., 2020): optimise pixels, not a generator, then distil on them.

A batch of images x (a leaf tensor, started from N(0, I) noise in normalised units) with
target classes y is optimised with Adam against the teacher alone:

    L_x = bn * L_BN(T, x~) + CE(T(x~), y) + tv * TV(x) + l2 * mean(x^2)

where x~ is x randomly shifted by up to `jitter` pixels and flipped (DeepInversion's
augmentation), L_BN the BN-statistics loss (losses.py) and TV(x) the mean absolute
difference between neighbouring pixels. After each step x is clipped to the range of valid
(normalised) images.

How it fits the engine's loop (the kit's own arrangement, for a shared budget):
- the *generator step* makes `pixel_steps` Adam steps (lr `pixel_lr`) on the current batch;
  after `rounds` generator steps the batch is finished, joins a pool and a new batch starts;
- each *student step* draws one batch uniformly from the pool plus the current batch and
  minimises L_S = D(S(x), T(x)) (KL at tau = 1 by default for `deepinv`).
The pool keeps at most `pool_size` batches (first in, first out), so memory is
bounded by pool_size x batch_size x C x H x W x 4 bytes (8 x 128 x 3 x 32 x 32 x 4 = 12.6 MB
on shapes' quick profile); the pool is saved in checkpoints so resume stays exact.
The original optimises each batch for 2,000 steps with a learning-rate schedule; a short
budget gives cruder images. G is built by the engine but never trained. The method owns T's
BN hooks: they record only while the pixels are optimised.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import DistillConfig
from ..data import dataset_info
from ..errors import UserError
from .base import HooksTeacherBN, KDSettings, Method


@dataclass
class DeepInversionSettings(KDSettings):
    """Weights of the pixels' loss L_x and the schedule of the pixel batches."""

    bn: float = 1.0  # weight of L_BN in L_x
    tv: float = 0.05  # weight of the total variation prior
    l2: float = 1e-3  # weight of the l2 prior mean(x^2)
    pixel_steps: int = 5  # Adam steps on the pixels per generator step
    pixel_lr: float = 0.05
    rounds: int = 10  # generator steps per batch, before it joins the pool
    pool_size: int = 8  # finished batches kept (first in, first out)
    jitter: int = 2  # random shifts of up to this many pixels (and flips) per step

    def validate(self) -> None:
        super().validate()
        for name in ("pixel_steps", "rounds", "pool_size"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be >= 1, not {getattr(self, name)}")
        if self.jitter < 0:
            raise UserError(f"jitter must be >= 0, not {self.jitter}")


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean |x[i, j] - x[i+1, j]| + mean |x[i, j] - x[i, j+1]| over a batch of images."""
    return ((x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean()
            + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean())


class DeepInversion(HooksTeacherBN, Method):
    """Pixels optimised against T's BN statistics + image priors + CE to target classes."""

    name = "deepinv"
    Settings = DeepInversionSettings
    uses_generator = False

    def __init__(self, cfg: DistillConfig, *, name: str | None = None):
        super().__init__(cfg, name=name)
        self.info = dataset_info(cfg.dataset)
        self.device = torch.device(cfg.device)
        self.shape = (cfg.batch_size, self.info.channels, self.info.image_size,
                      self.info.image_size)
        mean = torch.tensor(self.info.mean).view(1, -1, 1, 1)
        std = torch.tensor(self.info.std).view(1, -1, 1, 1)
        self.low = ((0 - mean) / std).to(self.device)  # valid images are [0, 1] before
        self.high = ((1 - mean) / std).to(self.device)  # normalisation
        self.rng = torch.Generator(self.device).manual_seed(cfg.seed + 7919)
        self.pool: list[torch.Tensor] = []
        self.rounds_done = 0
        self._new_batch()

    def _new_batch(self):
        x = torch.randn(self.shape, device=self.device, generator=self.rng)
        self.x = torch.max(torch.min(x, self.high), self.low).requires_grad_(True)
        self.y = torch.randint(self.info.num_classes, (self.shape[0],), device=self.device,
                               generator=self.rng)
        self.opt_x = torch.optim.Adam([self.x], lr=self.settings.pixel_lr, betas=(0.5, 0.99))
        self.rounds_done = 0

    def _augment(self, x):
        j = self.settings.jitter
        if j:
            dx, dy = torch.randint(-j, j + 1, (2,), generator=self.rng,
                                   device=self.device).tolist()
            x = torch.roll(x, shifts=(dx, dy), dims=(2, 3))
        if torch.rand((), generator=self.rng, device=self.device) < 0.5:
            x = torch.flip(x, dims=(3,))
        return x

    # ---- the "generator step": optimise the current pixel batch ----------------------------
    def generator_step(self, engine):
        w = self.settings
        for _ in range(w.pixel_steps):
            with engine.autocast(), self.bn.recording():
                t = engine.T(self._augment(self.x))  # BN hooks record the statistics of x
                loss_bn = self.bn.loss()
                loss_ce = F.cross_entropy(t.float(), self.y)
            loss_tv = total_variation(self.x)
            loss_l2 = self.x.pow(2).mean()
            loss = w.bn * loss_bn + loss_ce + w.tv * loss_tv + w.l2 * loss_l2
            self.opt_x.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_x.step()
            with torch.no_grad():
                self.x.copy_(torch.max(torch.min(self.x, self.high), self.low))
        self.rounds_done += 1
        if self.rounds_done >= w.rounds:  # finished: into the pool, start anew
            self.pool.append(self.x.detach().clone())
            if len(self.pool) > w.pool_size:
                self.pool.pop(0)
            self._new_batch()
        return loss.detach(), {"loss_bn": loss_bn.detach(), "loss_ce": loss_ce.detach(),
                               "loss_tv": loss_tv.detach()}

    # ---- the student step: a batch from the pool -----------------------------------------
    def student_batch(self, engine):
        candidates = self.pool + [self.x.detach()]
        i = int(torch.randint(len(candidates), (1,), generator=self.rng, device=self.device))
        x = candidates[i]
        return x, engine.T(x)

    def snapshot_images(self, engine, z):
        return self.x.detach()[: len(z)]

    def run_metrics(self, engine):
        pool_bytes = sum(x.numel() * x.element_size() for x in self.pool)
        return {"deepinv_pool_batches": len(self.pool), "deepinv_pool_bytes": pool_bytes}

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self):
        return {"x": self.x.detach().clone(), "y": self.y, "opt_x": self.opt_x.state_dict(),
                "rounds_done": self.rounds_done, "pool": list(self.pool),
                "rng": self.rng.get_state()}

    def load_state_dict(self, state):
        self.x = state["x"].to(self.device).clone().requires_grad_(True)
        self.y = state["y"].to(self.device)
        self.opt_x = torch.optim.Adam([self.x], lr=self.settings.pixel_lr, betas=(0.5, 0.99))
        self.opt_x.load_state_dict(state["opt_x"])
        self.rounds_done = state["rounds_done"]
        self.pool = [x.to(self.device) for x in state["pool"]]
        self.rng.set_state(state["rng"])
