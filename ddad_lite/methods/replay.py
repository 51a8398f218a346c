"""Generative pseudo replay (PRE-DFKD, Binici et al., AAAI 2022): "M+replay" for any method M.

The generator's distribution drifts during training, and the student forgets what it learnt
on earlier samples. Instead of storing past synthetic samples (memory, privacy), a VAE V
(models/vae.py) is trained, as a stream, on every novel synthetic batch the student sees,
and its samples are replayed into each later student batch:

    novel:   x, t = M's student batch (e.g. x = G(z), t = T(x))
    replay:  z' ~ N(0, I),  x' = V.decode(z'),  t' = T(x')      (the teacher labels x')
    L_S    = M's student loss on the concatenated batch [x; x'], [t; t']
    L_V    = |x_hat - x|_1 + |t_hat - t|_1 + replay_kl * KL(q(z'|x) || N(0, I))

(L1 as per-element means; KL summed over the latent, averaged over the batch; the logit
term only with `replay_logits`.) V makes one Adam step (lr replay_lr) on each novel batch,
after the student's update; replay joins the student batches of size
round(replay_fraction * batch_size) once a fraction `replay_warmup` of the iterations has
passed (before that V has seen too little to be worth replaying).

PRE-DFKD's public code uses a 1,000-d latent, 1024 novel + 128 replay samples, a VAE lr of
5e-4 and KL weight 1e-5 under its own reductions; this kit's defaults (latent 64, width 32,
replay 1/4 of the batch, KL weight 1e-3 with the reductions above) are sized for the CPU
profiles and are its own choice (`ReplaySettings`). V, its optimiser, its RNG and the count of
samples seen are saved in checkpoints, so a resumed run continues exactly.

Memory: V holds its parameters (`replay_memory_bytes`) in place of every synthetic image it
has seen (`replay_equivalent_samples_bytes`, as uint8; and as float32).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import DistillConfig
from ..data import dataset_info
from ..errors import UserError
from ..models import build
from .base import Engine, Method


@dataclass
class ReplaySettings:
    """The VAE V that replays past synthetic images, and how much it replays."""

    replay_fraction: float = 0.25  # replayed samples per student batch, as a fraction of it
    replay_warmup: float = 0.2  # fraction of the iterations before replay starts
    replay_latent: int = 64  # size of V's latent
    replay_width: int = 32  # V's channel width
    replay_lr: float = 5e-4  # V's Adam lr
    replay_kl: float = 1e-3  # weight of the KL term in L_V
    replay_logits: bool = True  # V also reconstructs T's logits (as PRE-DFKD's code)

    def validate(self) -> None:
        for name in ("replay_fraction", "replay_warmup"):
            if not 0 <= getattr(self, name) <= 1:
                raise UserError(f"{name} must be in [0, 1], not {getattr(self, name)}")


class PseudoReplay(Method):
    """Wraps a method: its batches gain VAE-replayed samples; V learns from its batches."""

    name = "replay"
    Settings = ReplaySettings

    def __init__(self, cfg: DistillConfig, base: Method):
        super().__init__(cfg)
        self.base = base
        self.uses_generator = base.uses_generator
        info = dataset_info(cfg.dataset)
        self.device = torch.device(cfg.device)
        w = self.settings
        self.V = build("conv_vae", channels=info.channels, img_size=info.image_size,
                       num_classes=info.num_classes, latent=w.replay_latent,
                       width=w.replay_width, logits=w.replay_logits).to(self.device)
        self.opt_V = torch.optim.Adam(self.V.parameters(), lr=w.replay_lr)
        self.rng = torch.Generator(self.device).manual_seed(cfg.seed + 104729)
        self.replay_size = round(w.replay_fraction * cfg.batch_size)
        self.warmup_steps = round(w.replay_warmup * cfg.iterations)
        self.samples_seen = 0  # novel synthetic images V has been trained on
        self.image_bytes = info.channels * info.image_size**2  # one uint8 image
        self._n_novel = 0
        self._logs: dict = {}

    # ---- delegated to the wrapped method -------------------------------------------------
    def setup(self, engine: Engine) -> None:
        self.base.setup(engine)

    def close(self) -> None:
        self.base.close()

    def iteration(self, engine):
        return self.base.iteration(engine)

    def images_per_iteration(self) -> int:
        return self.base.images_per_iteration()

    def history_records(self) -> dict:
        return self.base.history_records()

    def generator_step(self, engine):
        return self.base.generator_step(engine)

    def generator_loss(self, engine, z):
        return self.base.generator_loss(engine, z)

    def student_loss(self, engine, x, t):
        return self.base.student_loss(engine, x, t)

    def snapshot_images(self, engine, z):
        return self.base.snapshot_images(engine, z)

    # ---- replay --------------------------------------------------------------------------
    def replaying(self, engine) -> bool:
        return self.replay_size > 0 and engine.step >= self.warmup_steps

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        """n replayed images x' = V.decode(z'), z' ~ N(0, I), in normalised units."""
        z = torch.randn(n, self.settings.replay_latent, device=self.device, generator=self.rng)
        return self.V.decode(z)[0]

    def student_batch(self, engine):
        x, t = self.base.student_batch(engine)
        self._n_novel = len(x)
        if not self.replaying(engine):
            return x, t
        x_replay = self.sample(self.replay_size).to(x.dtype)
        t_replay = engine.T(x_replay)  # the teacher labels the replayed samples
        return torch.cat([x, x_replay]), torch.cat([t, t_replay.to(t.dtype)])

    def after_student_step(self, engine, x, t):
        self.base.after_student_step(engine, x, t)
        # V learns the novel part of the batch (one Adam step).
        x_new, t_new = x[: self._n_novel].float(), t[: self._n_novel].float()
        noise = torch.randn(len(x_new), self.settings.replay_latent, device=self.device,
                            generator=self.rng)
        x_hat, t_hat, mu, logvar = self.V(x_new, noise)
        loss_rec = F.l1_loss(x_hat, x_new)
        if t_hat is not None:
            loss_rec = loss_rec + F.l1_loss(t_hat, t_new)
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
        loss_V = loss_rec + self.settings.replay_kl * kl
        self.opt_V.zero_grad(set_to_none=True)
        loss_V.backward()
        self.opt_V.step()
        self.samples_seen += len(x_new)
        self._logs = {"loss_vae": loss_V.detach(),
                      "replay_size": torch.tensor(float(len(x) - self._n_novel))}

    def iteration_logs(self):
        return {**self.base.iteration_logs(), **self._logs}

    def memory_bytes(self) -> int:
        """Bytes V holds (parameters and buffers)."""
        tensors = list(self.V.parameters()) + list(self.V.buffers())
        return sum(p.numel() * p.element_size() for p in tensors)

    def run_metrics(self, engine):
        return {
            **self.base.run_metrics(engine),
            "replay_memory_bytes": self.memory_bytes(),
            "replay_samples_seen": self.samples_seen,
            "replay_equivalent_samples_bytes": self.samples_seen * self.image_bytes,
            "replay_equivalent_samples_bytes_float32": self.samples_seen * self.image_bytes * 4,
            "replay_starts_at_iteration": self.warmup_steps,
        }

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self):
        return {"base": self.base.state_dict(), "V": self.V.state_dict(),
                "opt_V": self.opt_V.state_dict(), "rng": self.rng.get_state(),
                "samples_seen": self.samples_seen}

    def load_state_dict(self, state):
        self.base.load_state_dict(state["base"])
        self.V.load_state_dict(state["V"])
        self.opt_V.load_state_dict(state["opt_V"])
        self.rng.set_state(state["rng"])
        self.samples_seen = state["samples_seen"]
