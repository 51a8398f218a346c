"""DeepInversion and Adaptive DeepInversion (Yin et al., 2020): optimise pixels, not a
generator, against the teacher; then distil on them.

A batch of pixels x (a leaf tensor, started from N(0, I) noise in normalised units) with
target classes y is optimised with Adam against T (and, for ADI, against S), as NVlabs'
public code does (cifar10/deepinversion_cifar10.py, its defaults here; deepinversion.py, the
ImageNet version, for the optional terms):

    x~   = flip(roll(x, (dx, dy)))            dx, dy uniform in [-jitter, jitter]; flip optional
    L_x  = ce * CE(T(x~), y) + bn * sum_l m_l R_l(T, x~) + tv_l2 * TV2(x~) + tv_l1 * TV1(x~)
         + l2 * ||x~|| + competition * (1 - JS(S(x~), T(x~)))

- R_l the BN-statistics term of layer l (losses.py); m_l = `first_bn_multiplier` for the
  first BN layer of T and 1 for the others (ImageNet: 10; CIFAR: none, i.e. 1).
- TV2 = sum over the 4 neighbour directions d (right, down and both diagonals) of the plain
  L2 norm ||x~ - shift_d(x~)||_2 over the whole batch; TV1 = sum over the same 4 of
  mean |x~ - shift_d(x~)|.
- ||x~|| is the L2 norm of the whole batch (`l2_norm="batch"`, CIFAR) or the batch mean of
  the per-image norms (`l2_norm="image"`, ImageNet).
- Adaptive DeepInversion's competition: with P = softmax(S(x~) / 3), Q = softmax(T(x~) / 3),
  M = (P + Q) / 2, each clamped to [0.01, 0.99], JS = (KL(M || P) + KL(M || Q)) / 2 summed
  over classes and averaged over the batch, clamped to [0, 1]. Minimising 1 - JS drives x to
  where S and T disagree; S runs in eval mode and its parameters get no gradient.
- y: balanced, y_i = i mod num_classes (CIFAR's [0..9] * 25 + [0..5]), or uniform at random.
- Adam (lr `pixel_lr`, `betas`), state reset for every batch; lr constant (CIFAR) or ImageNet's
  cosine policy with a linear warm-up of `lr_warmup` steps (`lr_schedule="cosine"`); after
  each step x is clipped to the valid image range where `clip` (ImageNet), not on CIFAR.

The iteration (`DeepInversion.iteration`; the kit's own arrangement: the public code does not
include the distillation part):
- k *student steps*: each draws one batch uniformly from the pool plus the current batch and
  minimises L_S = D(S(x), T(x)) (KL at tau = 1 by default for `deepinv`);
- then `pixel_steps` Adam steps on the current batch (in place of a generator step); after
  `rounds` iterations (pixel_steps x rounds steps: the public CIFAR code makes 2,000) the
  batch is finished, joins a pool and a new batch starts from noise.
The pool keeps at most `pool_size` batches (first in, first out), so memory is bounded by
pool_size x batch_size x C x H x W x 4 bytes; it is saved in checkpoints so resume stays
exact. A batch's final pixels join the pool (the public CIFAR code also returns the final
pixels: its "best" copy aliases them). G is built by the engine but never trained. The method
owns T's BN hooks: they record only while the pixels are optimised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import DistillConfig
from ..data import dataset_info
from ..errors import UserError
from ..losses import fp32_or_wider
from .base import Engine, HooksTeacherBN, KDSettings, Method, detached, no_param_grad

L2_NORMS = ("batch", "image")
LR_SCHEDULES = ("constant", "cosine")


@dataclass
class DeepInversionSettings(KDSettings):
    """The pixels' loss L_x and its optimiser (defaults: NVlabs' CIFAR-10 script with its
    README's "paper parameters"), and the kit's schedule of pixel batches."""

    bn: float = 10.0  # weight of L_BN (CIFAR README: --r_feature_weight=10)
    first_bn_multiplier: float = 1.0  # extra weight of T's first BN layer (ImageNet: 10)
    ce: float = 1.0  # weight of CE(T(x~), y) (ImageNet's main_loss_multiplier)
    tv_l2: float = 2.5e-5  # TV2, L2 norms over 4 directions (CIFAR --di_var_scale)
    tv_l1: float = 0.0  # TV1, mean absolute differences over 4 directions (ImageNet tv_l1)
    l2: float = 0.0  # weight of the image norm (CIFAR --di_l2_scale 0; ImageNet 1e-5)
    l2_norm: str = "batch"  # "batch": ||x~|| of the batch (CIFAR); "image": mean per image
    competition: float = 0.0  # Adaptive DeepInversion's 1 - JS(S, T); 0: plain DeepInversion
    competition_temperature: float = 3.0
    balanced_targets: bool = True  # y_i = i mod classes (CIFAR); False: uniform at random
    pixel_lr: float = 0.05  # CIFAR README: --di_lr=0.05
    betas: tuple[float, float] = (0.9, 0.999)  # CIFAR: Adam's defaults; ImageNet (0.5, 0.9)
    lr_schedule: str = "constant"  # "constant" (CIFAR) or "cosine" with warm-up (ImageNet)
    lr_warmup: int = 100  # warm-up steps of the cosine schedule
    jitter: int = 2  # random shifts of up to this many pixels per step (ImageNet: 30)
    flip: bool = False  # random horizontal flips (ImageNet --do_flip)
    clip: bool = False  # clip x to the valid image range after each step (ImageNet)
    pixel_steps: int = 5  # Adam steps on the pixels per generator step
    rounds: int = 10  # generator steps per batch, before it joins the pool
    pool_size: int = 8  # finished batches kept (first in, first out)

    def validate(self) -> None:
        super().validate()
        for name in ("pixel_steps", "rounds", "pool_size"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be >= 1, not {getattr(self, name)}")
        for name in ("jitter", "lr_warmup", "competition"):
            if getattr(self, name) < 0:
                raise UserError(f"{name} must be >= 0, not {getattr(self, name)}")
        if self.pixel_lr <= 0 or self.competition_temperature <= 0:
            raise UserError("pixel_lr and competition_temperature must be > 0")
        if self.l2_norm not in L2_NORMS:
            raise UserError(f"l2_norm {self.l2_norm!r} is unknown; choose one of "
                            f"{', '.join(L2_NORMS)}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise UserError(f"lr_schedule {self.lr_schedule!r} is unknown; choose one of "
                            f"{', '.join(LR_SCHEDULES)}")
        if self.lr_schedule == "cosine" and self.lr_warmup >= self.pixel_steps * self.rounds:
            raise UserError(f"lr_warmup ({self.lr_warmup}) must be below the steps per batch "
                            f"(pixel_steps x rounds = {self.pixel_steps * self.rounds})")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise UserError(f"betas must be two numbers in [0, 1), not {self.betas}")


def neighbour_differences(x: torch.Tensor) -> list[torch.Tensor]:
    """x minus its neighbour to the right, below, and on both diagonals (4 tensors)."""
    return [x[:, :, :, :-1] - x[:, :, :, 1:], x[:, :, :-1, :] - x[:, :, 1:, :],
            x[:, :, 1:, :-1] - x[:, :, :-1, 1:], x[:, :, :-1, :-1] - x[:, :, 1:, 1:]]


def total_variation(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(TV1, TV2): sum over the 4 directions of mean |diff|, and of ||diff||_2 (whole batch)."""
    diffs = neighbour_differences(x)
    tv1 = sum(d.abs().mean() for d in diffs)
    tv2 = sum(torch.linalg.vector_norm(d) for d in diffs)
    return tv1, tv2


def image_norm(x: torch.Tensor, kind: str = "batch") -> torch.Tensor:
    """||x||_2 of the whole batch ("batch") or the batch mean of per-image norms ("image")."""
    if kind == "batch":
        return torch.linalg.vector_norm(x)
    return torch.linalg.vector_norm(x.flatten(1), dim=1).mean()


def competition_loss(s: torch.Tensor, t: torch.Tensor, temperature: float = 3.0):
    """Adaptive DeepInversion's 1 - JS(P, Q), P, Q, M clamped to [0.01, 0.99] (see above)."""
    p = F.softmax(fp32_or_wider(s) / temperature, dim=1)
    q = F.softmax(fp32_or_wider(t) / temperature, dim=1)
    m = (0.5 * (p + q)).clamp(0.01, 0.99)
    p, q = p.clamp(0.01, 0.99), q.clamp(0.01, 0.99)
    kl_p = (m * (m.log() - p.log())).sum() / len(s)  # KL(M || P), batch mean
    kl_q = (m * (m.log() - q.log())).sum() / len(s)
    return 1.0 - (0.5 * kl_p + 0.5 * kl_q).clamp(0.0, 1.0)


def cosine_lr(base_lr: float, step: int, *, warmup: int, steps: int) -> float:
    """ImageNet DeepInversion's policy: linear warm-up, then a cosine from base_lr to 0."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup))) * base_lr


class DeepInversion(HooksTeacherBN, Method):
    """Pixels optimised against T's BN statistics + CE to targets + image priors (+ ADI)."""

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

    def _optimizer(self):
        return torch.optim.Adam([self.x], lr=self.settings.pixel_lr,
                                betas=tuple(self.settings.betas))

    def _new_batch(self):
        self.x = torch.randn(self.shape, device=self.device,
                             generator=self.rng).requires_grad_(True)
        n, classes = self.shape[0], self.info.num_classes
        if self.settings.balanced_targets:
            self.y = torch.arange(n, device=self.device) % classes
        else:
            self.y = torch.randint(classes, (n,), device=self.device, generator=self.rng)
        self.opt_x = self._optimizer()  # a fresh Adam state for every batch
        self.rounds_done = 0

    def _augment(self, x):
        """Random roll by (dx, dy) in [-jitter, jitter], then a flip with probability 1/2
        (drawn in this order from the method's generator)."""
        j = self.settings.jitter
        if j:
            dx, dy = torch.randint(-j, j + 1, (2,), generator=self.rng,
                                   device=self.device).tolist()
            x = torch.roll(x, shifts=(dx, dy), dims=(2, 3))
        if self.settings.flip and torch.rand((), generator=self.rng, device=self.device) < 0.5:
            x = torch.flip(x, dims=(3,))
        return x

    def _lr(self, step: int) -> float:
        w = self.settings
        if w.lr_schedule == "constant":
            return w.pixel_lr
        return cosine_lr(w.pixel_lr, step, warmup=w.lr_warmup, steps=w.pixel_steps * w.rounds)

    def bn_loss(self) -> torch.Tensor:
        """sum_l m_l R_l: T's first BN layer weighted by `first_bn_multiplier`."""
        losses = [h.loss for h in self.bn.hooks]
        return self.settings.first_bn_multiplier * losses[0] + sum(losses[1:])

    def pixel_loss(self, e: Engine, x_jit):
        """(L_x, {term: value}) for the augmented pixels x~ (the equation above)."""
        w = self.settings
        T, S, _ = e.nets
        with e.autocast(), self.bn.recording():
            t = T(x_jit)  # BN hooks record the statistics of x~
            loss_bn = self.bn_loss()
        t = fp32_or_wider(t)
        loss_ce = F.cross_entropy(t, self.y)
        tv1, tv2 = total_variation(x_jit)
        loss_l2 = image_norm(x_jit, w.l2_norm)
        loss = (w.ce * loss_ce + w.bn * loss_bn + w.tv_l2 * tv2 + w.tv_l1 * tv1
                + w.l2 * loss_l2)
        logs = {"loss_bn": loss_bn, "loss_ce": loss_ce, "loss_tv_l2": tv2, "loss_tv_l1": tv1,
                "loss_l2": loss_l2}
        if w.competition:
            was_training = S.training
            S.eval()  # as the public code: S judges in eval mode, no update
            with no_param_grad(S), e.autocast():
                s = S(x_jit)
            S.train(was_training)
            logs["loss_competition"] = loss_comp = competition_loss(
                s, t, w.competition_temperature)
            loss = loss + w.competition * loss_comp
        return loss, logs

    # ---- the iteration ---------------------------------------------------------------------
    def iteration(self, e: Engine, memory=None) -> dict:
        """k steps of S on batches from the pool, then `pixel_steps` steps of the pixels (with
        a memory that asks for it, PRE-DFKD's order: the pixels first)."""
        k = e.cfg.student_steps
        order = ["x"] + ["S"] * k if memory and memory.generator_first else ["S"] * k + ["x"]
        for update in order:
            if update == "S":
                loss_S = self.distil(e, self.pool_batch(), memory)
            else:
                loss_x, logs = self.optimise_pixels(e)
        return detached({"loss_S": loss_S, "loss_G": loss_x, **logs})

    def optimise_pixels(self, e: Engine) -> tuple[torch.Tensor, dict]:
        """`pixel_steps` Adam steps of the current batch on L_x; a batch finished after
        `rounds` calls joins the pool. Returns the last step's (L_x, {term: value})."""
        w = self.settings
        for k in range(w.pixel_steps):
            step = self.rounds_done * w.pixel_steps + k  # the step within this batch
            for group in self.opt_x.param_groups:
                group["lr"] = self._lr(step)
            loss, logs = self.pixel_loss(e, self._augment(self.x))
            e.update(loss, self.opt_x)
            if w.clip:
                with torch.no_grad():
                    self.x.copy_(torch.max(torch.min(self.x, self.high), self.low))
        self.rounds_done += 1
        if self.rounds_done >= w.rounds:  # finished: into the pool, start anew
            self.pool.append(self.x.detach().clone())
            if len(self.pool) > w.pool_size:
                self.pool.pop(0)
            self._new_batch()
        return loss, logs

    def images_per_iteration(self) -> int:
        """The current batch through T `pixel_steps` times, then k student batches."""
        return (self.settings.pixel_steps + self.cfg.student_steps) * self.cfg.batch_size

    def pool_batch(self) -> torch.Tensor:
        """A batch drawn uniformly from the pool and the current batch (no gradient)."""
        candidates = self.pool + [self.x.detach()]
        i = int(torch.randint(len(candidates), (1,), generator=self.rng, device=self.device))
        return candidates[i]

    def snapshot_images(self, e, z):
        return self.x.detach()[: len(z)]

    def run_metrics(self, e):
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
        self.opt_x = self._optimizer()
        self.opt_x.load_state_dict(state["opt_x"])
        self.rounds_done = state["rounds_done"]
        self.pool = [x.to(self.device) for x in state["pool"]]
        self.rng.set_state(state["rng"])
