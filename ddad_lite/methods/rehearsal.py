"""Rehearsal: what "+replay" (a VAE, replay.py) and "+buffer" (stored images, buffer.py) share,
so that both replay into the student's batches in exactly the same way.

A memory M wraps any method M0: its iteration is M0's iteration, called with M as the
`memory`. M learns from part of the novel synthetic stream, and its samples, labelled by the
teacher, join every student batch (PRE-DFKD, kuluhan/PRE-DFKD, distillation.py lines 8-43 and
main.py lines 83-108):

    novel:    x, t = M0's student batch (e.g. x = G(z), t = T(x))
    replay:   x' = M.samples(n_replay),  t' = T(x')            (`mix`: the teacher labels x')
    L_S     = M0's student loss on [x; x'], [t; t']
    after S's update, in the first `replay_vae_updates` student steps of each iteration:
              M learns from x[:replay_vae_novel * len(x)]      (`remember`: its own rule)

with n_replay = round(replay_fraction * batch_size) (PRE-DFKD: 1024 novel, 128 = 1/8
replayed), from the iteration `replay_warmup * iterations` on (PRE-DFKD: from the first).
With `replay_generator_first`, M0's iteration makes its generator step before the k student
steps (PRE-DFKD's order, main.py lines 94-108) instead of DFAD's k-then-1 (the only loop of
the methods an extension combines with: DAFL's joint loop refuses extensions).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import DistillConfig
from ..data import dataset_info
from ..errors import UserError
from .base import Engine, Method


@dataclass
class RehearsalSettings:
    """How much a memory replays into the student's batches and what it learns from."""

    replay_fraction: float = 0.125  # replayed samples per student batch, as a fraction of it
    replay_warmup: float = 0.0  # fraction of the iterations before replay starts
    replay_vae_updates: int = 4  # the memory learns in the first n student steps of an iteration
    replay_vae_novel: float = 0.5  # ... from this fraction of each novel batch (its first part)
    replay_generator_first: bool = False  # PRE-DFKD's order: G's step, then the k S steps
    replay_latent: int = 64  # size of the VAE's latent (PRE-DFKD: 1000)
    replay_width: int = 32  # the VAE's channel width (PRE-DFKD: 128)

    def validate(self) -> None:
        for name in ("replay_fraction", "replay_warmup", "replay_vae_novel"):
            if not 0 <= getattr(self, name) <= 1:
                raise UserError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if self.replay_vae_updates < 0:
            raise UserError(f"replay_vae_updates must be >= 0, not {self.replay_vae_updates}")
        if self.replay_latent < 1 or self.replay_width < 2 or self.replay_width % 2:
            raise UserError("replay_latent must be >= 1 and replay_width even and >= 2, not "
                            f"{self.replay_latent} and {self.replay_width}")


class Rehearsal(Method):
    """Wraps a method: its student batches gain a memory's samples; the memory learns from
    its novel batches. Subclasses define `samples`, `learn`, `memory_bytes` and their state."""

    Settings = RehearsalSettings

    def __init__(self, cfg: DistillConfig, base: Method):
        super().__init__(cfg)
        self.base = base
        self.uses_generator = base.uses_generator
        self.device = torch.device(cfg.device)
        self.info = dataset_info(cfg.dataset)
        self.rng = torch.Generator(self.device).manual_seed(cfg.seed + 104729)
        self.replay_size = round(self.settings.replay_fraction * cfg.batch_size)
        self.warmup_steps = round(self.settings.replay_warmup * cfg.iterations)
        self.samples_seen = 0  # novel synthetic images the memory has learnt from
        self._iteration, self._step_in_iteration = -1, 0
        self._n_novel = 0
        self._logs: dict = {}

    # ---- what a memory defines -----------------------------------------------------------
    def samples(self, engine: Engine, n: int) -> torch.Tensor:
        """n replayed images (normalised units); called under no_grad."""
        raise NotImplementedError

    def learn(self, engine: Engine, x: torch.Tensor, t: torch.Tensor) -> dict:
        """Learn from novel images x with teacher logits t; returns logs."""
        raise NotImplementedError

    def has_samples(self) -> bool:
        return True

    # ---- the wrapped method's iteration, with this memory -------------------------------
    def setup(self, e: Engine) -> None:
        self.base.setup(e)

    def close(self) -> None:
        self.base.close()

    @property
    def generator_first(self) -> bool:
        """PRE-DFKD's order: the inner method's generator step before its student steps."""
        return self.settings.replay_generator_first

    def iteration(self, e: Engine, memory=None) -> dict:
        return {**self.base.iteration(e, memory=self), **self._logs}

    def images_per_iteration(self) -> int:
        """The wrapped method's, plus the replayed samples of each of the k student batches
        (counted from the first iteration: `replay_warmup` > 0 overcounts its warm-up)."""
        return self.base.images_per_iteration() + self.cfg.student_steps * self.replay_size

    def history_records(self) -> dict:
        return self.base.history_records()

    def snapshot_images(self, e, z):
        return self.base.snapshot_images(e, z)

    # ---- into the student's batch, and the memory's update -------------------------------
    def replaying(self, e: Engine) -> bool:
        return self.replay_size > 0 and e.step >= self.warmup_steps and self.has_samples()

    def mix(self, e: Engine, x: torch.Tensor, t: torch.Tensor):
        """The novel batch (x, t) with the memory's samples and T's logits on them appended
        (called under no_grad, once per student step)."""
        if e.step != self._iteration:  # the first student step of an iteration
            self._iteration, self._step_in_iteration = e.step, 0
        else:
            self._step_in_iteration += 1
        self._n_novel = len(x)
        self._logs["replay_size"] = torch.tensor(0.0)  # the memory's last losses stay
        if not self.replaying(e):
            return x, t
        x_replay = self.samples(e, self.replay_size).to(x.dtype)
        t_replay = e.nets.T(x_replay)  # the teacher labels the replayed samples
        self._logs["replay_size"] = torch.tensor(float(len(x_replay)))
        return torch.cat([x, x_replay]), torch.cat([t, t_replay.to(t.dtype)])

    def learns_now(self) -> bool:
        return self._step_in_iteration < self.settings.replay_vae_updates

    def remember(self, e: Engine, x, t) -> None:
        """After S's update on (x, t): in the first `replay_vae_updates` student steps of an
        iteration, the memory learns from the first part of the novel batch."""
        if not self.learns_now():
            return
        n = max(1, int(self.settings.replay_vae_novel * self._n_novel))
        self._logs.update(self.learn(e, x[:n].detach().float(), t[:n].detach().float()))
        self.samples_seen += n

    def rehearsal_metrics(self, prefix: str) -> dict:
        image_bytes = self.info.channels * self.info.image_size**2  # one uint8 image
        return {
            f"{prefix}_memory_bytes": self.memory_bytes(),
            f"{prefix}_samples_seen": self.samples_seen,
            f"{prefix}_equivalent_samples_bytes": self.samples_seen * image_bytes,
            f"{prefix}_equivalent_samples_bytes_float32": self.samples_seen * image_bytes * 4,
            f"{prefix}_starts_at_iteration": self.warmup_steps,
        }

    def memory_bytes(self) -> int:
        raise NotImplementedError

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"base": self.base.state_dict(), "rng": self.rng.get_state(),
                "samples_seen": self.samples_seen}

    def load_state_dict(self, state: dict) -> None:
        self.base.load_state_dict(state["base"])
        self.rng.set_state(state["rng"])
        self.samples_seen = state["samples_seen"]
