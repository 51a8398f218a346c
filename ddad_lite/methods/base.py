"""The `Method` interface, and the engine's surface a method may use.

A method owns its whole iteration: `iteration(e)` makes every update of one iteration, top to
bottom (DFAD/DDAD's: k student steps, then one generator step; DAFL's joint step;
DeepInversion's pixel rounds), through the engine's small surface `Engine` below (eight
members: the networks, their optimisers, the step, z, autocast, the update, the config and a
sum over ranks). The engine (engine.py) keeps what every method shares: building the
networks and optimisers, the schedules, logging, evaluation, snapshots, checkpoints, the time
limit and data parallel. What the engine calls on a method:

    setup(e) / close()               attach to T what the method needs (e.g. BN hooks); release
    iteration(e)         -> logs     one iteration: {name: tensor}, with loss_S (and loss_G)
    images_per_iteration()           images one iteration passes through the models
    snapshot_images(e, z)            the images a snapshot shows (default: G(z))
    history_records() / run_metrics(e)   extra records for the history and for metrics.json
    state_dict() / load_state_dict() the method's own state, saved in every checkpoint

An extension (replay.py, buffer.py) wraps a method and calls its iteration with itself as
the `memory` (rehearsal.py): the inner method mixes the memory's samples into each student
batch (`memory.mix`) and lets it learn after each student step (`memory.remember`).

Each method declares its settings as a dataclass, `Settings`, next to its code; the base
`KDSettings` holds the student's loss D and its temperature, which every method that distils
on synthetic images shares.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import torch
import torch.nn as nn

from ..config import DistillConfig
from ..errors import UserError
from ..losses import DISCREPANCIES, BNStatistics, discrepancy


@dataclass
class KDSettings:
    """The student's loss L_S = D(S(x), T(x)) on synthetic images."""

    discrepancy: str = "l1"  # D: "l1" (DFAD), "kl" (Hinton's KD, with temperature), "log_l1"
    temperature: float = 1.0  # tau, for "kl"

    def validate(self) -> None:
        """Raise a one-line UserError for a value out of range."""
        if self.discrepancy not in DISCREPANCIES:
            raise UserError(f"discrepancy {self.discrepancy!r} is unknown; choose one of "
                            f"{', '.join(DISCREPANCIES)}")
        if self.temperature <= 0:
            raise UserError(f"temperature must be > 0, not {self.temperature}")


class Nets(NamedTuple):
    """The three networks: T (frozen teacher), S (student), G (generator)."""

    T: nn.Module
    S: nn.Module
    G: nn.Module


class Optimizers(NamedTuple):
    """S's and G's optimisers (`e.opt.S`, `e.opt.G`)."""

    S: torch.optim.Optimizer
    G: torch.optim.Optimizer


class Engine(Protocol):
    """What a method may use of the engine, and nothing else (docs/architecture.md)."""

    cfg: DistillConfig  # the run's settings: batch_size, student_steps (k), nz, device, seed
    nets: Nets  # T, S, G = e.nets
    opt: Optimizers  # e.opt.S, e.opt.G
    step: int  # iterations made so far (0 during the first)
    # A differentiable sum over the processes of a data-parallel run, or None (one process):
    # the losses that read batch statistics take it as `reduce` (losses.py, distributed.py).
    reduce_statistics: object

    def sample_z(self, batch_size: int | None = None) -> torch.Tensor:
        """z ~ N(0, I), (batch_size or cfg.batch_size, nz), from the run's seeded stream."""

    def autocast(self) -> contextlib.AbstractContextManager:
        """The run's mixed precision (bf16 / fp16 autocast, or nothing)."""

    def update(self, losses, optimizers) -> None:
        """Zero the optimisers' gradients, backward of each loss, a step of each optimiser
        (under fp16 through the gradient scaler). One loss and optimiser, or lists."""


@contextlib.contextmanager
def no_param_grad(model: nn.Module):
    """Let gradients flow *through* `model` to its input without filling its .grad."""
    flags = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, f in zip(model.parameters(), flags, strict=True):
            p.requires_grad_(f)


class Method:
    """A recipe: its settings and its iteration. Subclasses define `iteration`."""

    name = "method"
    Settings = KDSettings
    uses_generator = True  # False: G is built but never trained (e.g. DeepInversion)

    def __init__(self, cfg: DistillConfig, *, name: str | None = None):
        self.cfg = cfg
        self.name = name or self.name
        self.settings = self.Settings(**cfg.settings_of(self.name))

    def setup(self, engine: Engine) -> None:
        """Called once the engine has built T, S and G (e.g. to hook T's BN layers)."""

    def close(self) -> None:
        """Release what `setup` attached, so a reused teacher keeps no trace of this run."""

    def iteration(self, e: Engine, memory=None) -> dict:
        """One iteration's updates; returns {name: tensor} with `loss_S` (and `loss_G`).
        `memory`: a rehearsal memory (rehearsal.py) the iteration mixes into S's batches."""
        raise NotImplementedError

    def distil(self, e: Engine, x: torch.Tensor, memory=None) -> torch.Tensor:
        """One step of S on synthetic images x (no gradient to x): minimise
        L_S = D(S(x), T(x)). A memory first joins its samples to the batch, and learns from
        the batch after the step (rehearsal.py). Returns L_S."""
        T, S, _ = e.nets
        with torch.no_grad(), e.autocast():
            t = T(x)
            if memory is not None:  # past images join the batch, labelled by T
                x, t = memory.mix(e, x, t)
        with e.autocast():
            loss_S = self.student_loss(S(x), t)
        e.update(loss_S, e.opt.S)
        self.after_student_step(x, t)
        if memory is not None:
            memory.remember(e, x, t)
        return loss_S

    def student_loss(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """L_S for student logits s = S(x) and teacher logits t: D(s, t)."""
        return self.D(s, t)

    def after_student_step(self, x: torch.Tensor, t: torch.Tensor) -> None:
        """After S's step on (x, t): nothing (Adversarial* trains its discriminator here)."""

    def D(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The student's loss D(S(x), T(x)): `discrepancy` (at `temperature` for "kl")."""
        return discrepancy(self.settings.discrepancy, s, t,
                           temperature=self.settings.temperature)

    def images_per_iteration(self) -> int:
        """Images the iteration's steps pass through the models, a batch counted once per step
        (metrics.json's `images_per_second`): k student batches and one generator batch."""
        return (self.cfg.student_steps + 1) * self.cfg.batch_size

    def snapshot_images(self, e: Engine, z: torch.Tensor) -> torch.Tensor:
        """The synthetic images a snapshot shows (called under no_grad)."""
        return e.nets.G(z)

    def history_records(self) -> dict:
        """Extra {history key: record} appended at each log step (e.g. per-layer R_l)."""
        return {}

    def run_metrics(self, e: Engine) -> dict:
        """Extra entries for metrics.json (e.g. the memory a replay model holds)."""
        return {}

    def state_dict(self) -> dict:
        """Extra state a method keeps between steps (saved in checkpoints)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def detached(logs: dict) -> dict:
    """{name: tensor} with every tensor detached (a log holds no graph)."""
    return {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in logs.items()}


class HooksTeacherBN:
    """For a method that judges x by T's BN statistics: `setup` hooks every BN layer of T
    (when `wants_bn()`), the hooks record only inside `with self.bn.recording():`, `close`
    releases them, and each log step adds R_l per layer to the history (`bn_layers`)."""

    bn: BNStatistics | None = None
    reduce = None  # the engine's `reduce_statistics`, kept by `setup`

    def wants_bn(self) -> bool:
        return True

    def setup(self, e: Engine) -> None:
        self.reduce = e.reduce_statistics  # None: one process
        if self.wants_bn():
            self.bn = BNStatistics(e.nets.T, reduce=self.reduce)
            if not len(self.bn):  # e.g. a ViT, or TorchScript (its layers are not nn modules)
                self.bn = None
                raise UserError(f"the teacher ({type(e.nets.T).__name__}) has no BatchNorm "
                                "layers (nn.BatchNorm*), whose statistics L_BN matches; "
                                "distil it with a method without L_BN, e.g. --method dfad")
            self.bn.set_enabled(False)  # on only while a loss needs the statistics

    def close(self) -> None:
        if self.bn is not None:
            self.bn.remove()
            self.bn = None

    def history_records(self) -> dict:
        return {"bn_layers": self.bn.per_layer()} if self.bn is not None else {}
