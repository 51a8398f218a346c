"""Generative pseudo replay (PRE-DFKD, Binici et al., AAAI 2022): "M+replay" for any method M,
as the public code (kuluhan/PRE-DFKD, distillation.py and main.py) runs it.

The generator drifts and the student forgets what it learnt on earlier samples. Instead of
storing past samples, a VAE (encoder E, decoder V: models/vae.py) learns the synthetic
stream and its samples join every student batch (rehearsal.py: how many, and when).

Memory samples (distillation.py lines 12-32 and 98-118): z ~ N(0, I), then `replay_z_steps`
Adam steps (lr `replay_z_lr`) on z alone, towards images the teacher finds typical,

    L_z = oh * CE(T(V(z)), argmax) + ie * sum p_bar log p_bar
          + |var_batch(z) - 1|^2 + |mean_batch(z)|^2     (mean squared errors over the latent)

then x' = V(z) (V in eval mode for the student's batch, in train mode for the VAE's own
rehearsal). The code writes ie = 5 with log10; this kit's entropy uses the natural log, so
the default weight is 5 / ln 10, the same loss.

The VAE's update (lines 72-148), after the student's, on the first half of the novel batch
x_n and, from the second iteration on, as many memory samples x_m (self-rehearsal: V keeps
learning what it already holds, so it forgets less):

    x_c = [x_n; x_m],   x_hat = V(mu + eps * exp(logvar / 2)),   (mu, logvar) = E(x_c)
    L_V = |x_hat - x_c|_1 + |T(x_hat) - T(x_c)|_1                 (the teacher scores x_hat)
          + 1e-5 * mean_batch( -1/2 sum_latent (1 + logvar - mu^2 - exp logvar) )

(L1 as element means), one Adam step (lr 5e-4) of E and V. In the code the rehearsal's L_z
also leaves its gradient in V's parameters before L_V's is added (its optimiser is zeroed
before L_z, not after), so V's step follows L_V + L_z: `replay_prior_into_vae` keeps that.

Kit defaults differ from the code only in size (latent 64, width 32 on `shapes`; PRE-DFKD's
1000 and 128 in the CIFAR and MNIST recipes). V, E, their optimiser, the RNG and the count
of samples seen are saved in checkpoints, so a resumed run continues exactly. Memory: the
VAE's parameters and buffers (`replay_memory_bytes`), beside the bytes of every image it
learnt from (`replay_equivalent_samples_bytes`) and how many uint8 images those VAE bytes
would store (`replay_equal_bytes_buffer_images`: the "+buffer" baseline, buffer.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import UserError
from ..losses import class_balance_loss, onehot_loss
from ..models import build
from .base import Engine, Method
from .rehearsal import Rehearsal, RehearsalSettings


@dataclass
class ReplaySettings(RehearsalSettings):
    """The VAE that replays past synthetic images (PRE-DFKD's values unless noted)."""

    replay_lr: float = 5e-4  # Adam lr of E and V (the code's lr_G / 40)
    replay_kl: float = 1e-5  # weight of the KL term in L_V
    replay_teacher_reconstruction: bool = True  # L_V also has |T(x_hat) - T(x)|_1
    replay_rehearsal: bool = True  # the VAE also learns its own memory samples
    replay_z_steps: int = 1  # Adam steps on a memory sample's z (0: plain z ~ N(0, I))
    replay_z_lr: float = 0.02  # their lr (the code's lr_G)
    replay_z_onehot: float = 1.0  # oh
    replay_z_entropy: float = 5.0 / math.log(10)  # ie = 5 with log10 = 5 / ln 10 with ln
    replay_z_moments: float = 1.0  # weight of the batch mean / variance terms of z
    replay_prior_into_vae: bool = True  # the rehearsal's L_z gradient joins V's step

    def validate(self) -> None:
        super().validate()
        if self.replay_z_steps < 0:
            raise UserError(f"replay_z_steps must be >= 0, not {self.replay_z_steps}")


class PseudoReplay(Rehearsal):
    """Wraps a method: its batches gain VAE-replayed samples; the VAE learns from its batches."""

    name = "replay"
    Settings = ReplaySettings

    def __init__(self, cfg, base: Method):
        super().__init__(cfg, base)
        w = self.settings
        self.V = build("replay_vae", channels=self.info.channels,
                       img_size=self.info.image_size, latent=w.replay_latent,
                       width=w.replay_width).to(self.device)
        self.opt_V = torch.optim.Adam(self.V.parameters(), lr=w.replay_lr)

    def randn(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.settings.replay_latent, device=self.device,
                           generator=self.rng)

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        """n images V(z), z ~ N(0, I), V in eval mode, without tuning z (for figures)."""
        self.V.decoder.eval()
        x = self.V.decode(self.randn(n))
        self.V.decoder.train()
        return x

    def tuned_z(self, engine: Engine, n: int, *, into_vae: bool = False) -> torch.Tensor:
        """z ~ N(0, I) after `replay_z_steps` Adam steps on L_z (V in its current mode); with
        `into_vae`, L_z's gradient is also left in V's parameters (the code's rehearsal)."""
        w = self.settings
        z = self.randn(n).requires_grad_(True)
        opt_z = torch.optim.Adam([z], lr=w.replay_z_lr)
        with torch.enable_grad():
            for _ in range(w.replay_z_steps):
                t = engine.nets.T(self.V.decode(z))
                loss = w.replay_z_onehot * onehot_loss(t) + w.replay_z_entropy * \
                    class_balance_loss(t)
                if n > 1:
                    ones = torch.ones_like(z[0])
                    loss = loss + w.replay_z_moments * (F.mse_loss(z.var(0), ones)
                                                        + F.mse_loss(z.mean(0), 0 * ones))
                if into_vae:
                    loss.backward()
                else:
                    z.grad, = torch.autograd.grad(loss, [z])
                opt_z.step()
                opt_z.zero_grad(set_to_none=True)
        return z.detach()

    def samples(self, engine: Engine, n: int) -> torch.Tensor:
        """The student's replay: tuned z, then V(z) with V in eval mode."""
        self.V.decoder.eval()
        try:
            z = self.tuned_z(engine, n)
            return self.V.decode(z)
        finally:
            self.V.decoder.train()

    def learn(self, engine: Engine, x: torch.Tensor, t: torch.Tensor) -> dict:
        """One Adam step of E and V on the novel images x (teacher logits t) and, after the
        first iteration, on as many of V's own tuned samples."""
        w = self.settings
        self.V.train()
        self.opt_V.zero_grad(set_to_none=True)
        if w.replay_rehearsal and engine.step > 0 and self.replay_size > 0:
            z = self.tuned_z(engine, self.replay_size, into_vae=w.replay_prior_into_vae)
            with torch.no_grad():
                x_memory = self.V.decode(z)
                t = torch.cat([t, engine.nets.T(x_memory).float()])
            x = torch.cat([x, x_memory])
        x_hat, mu, logvar = self.V(x, self.randn(len(x)))
        loss_rec = F.l1_loss(x_hat, x)
        if w.replay_teacher_reconstruction:
            loss_rec = loss_rec + F.l1_loss(engine.nets.T(x_hat).float(), t)
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
        loss_V = loss_rec + w.replay_kl * kl
        loss_V.backward()
        self.opt_V.step()
        return {"loss_vae": loss_V.detach(), "loss_vae_kl": kl.detach()}

    def memory_bytes(self) -> int:
        """Bytes the VAE holds (parameters and buffers, encoder and decoder)."""
        return vae_bytes(self.V)

    def run_metrics(self, engine):
        image_bytes = self.info.channels * self.info.image_size**2
        return {**self.base.run_metrics(engine), **self.rehearsal_metrics("replay"),
                "replay_equal_bytes_buffer_images": self.memory_bytes() // image_bytes}

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self):
        return {**super().state_dict(), "V": self.V.state_dict(),
                "opt_V": self.opt_V.state_dict()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.V.load_state_dict(state["V"])
        self.opt_V.load_state_dict(state["opt_V"])


def vae_bytes(vae: torch.nn.Module) -> int:
    """Bytes of a module's parameters and buffers."""
    tensors = list(vae.parameters()) + list(vae.buffers())
    return sum(p.numel() * p.element_size() for p in tensors)
