"""The `Method` interface: the hooks through which the engine's loop runs every method, and the
typed surface of the engine a method may use.

The engine (engine.py) owns the default loop, DFAD's: per iteration, k student steps, then one
generator step. A method decides what happens inside them through these hooks, and may
replace the whole iteration where its paper's loop differs:

    setup(engine)                    attach what the method needs to T (e.g. BN hooks)
    iteration(engine)    -> logs     one iteration (default: the engine's k-then-1 loop)
    student_batch(engine)            -> (x, t)   synthetic images and T(x), under no_grad
                                                  (default: z ~ N(0, I), x = G(z), t = T(x))
    student_loss(engine, x, t)       -> L_S      (default: D(S(x), t))
    after_student_step(engine, x, t)              e.g. train an auxiliary network
    generator_step(engine)           -> (L_G, logs)  one update of whatever synthesises x
                                                  (default: one Adam step of G on L_G)
    generator_loss(engine, z)        -> (L_G, logs)  L_G for one batch of z
    snapshot_images(engine, z)       -> x        the images shown in snapshots (default: G(z))
    iteration_logs() / history_records()          extra numbers for the training history
    run_metrics(engine)              -> {name: value}  extra entries for metrics.json
    state_dict() / load_state_dict() the method's own state, saved in every checkpoint
    close()                          release what setup attached (hooks)

Each method declares its settings as a dataclass, `Settings`, next to its code; the base
`KDSettings` holds the student's loss D and its temperature, which every method that distils
on synthetic images shares.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn as nn

from ..config import DistillConfig
from ..data import DatasetInfo
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


class Engine(Protocol):
    """What a method may use of the engine: the networks, their optimisers, the step, z, the
    autocast context and `backward_step` (backward and step, through fp16's gradient scaler).
    Nothing else of the engine is part of the methods' contract."""

    cfg: DistillConfig
    info: DatasetInfo
    device: torch.device
    T: nn.Module
    S: nn.Module
    G: nn.Module
    opt_S: torch.optim.Optimizer
    opt_G: torch.optim.Optimizer
    step: int
    # A differentiable sum over the processes of a data-parallel run, or None (one process):
    # the losses that read batch statistics take it as `reduce` (losses.py, distributed.py).
    reduce_statistics: object

    def sample_z(self, batch_size: int | None = None) -> torch.Tensor: ...

    def autocast(self) -> contextlib.AbstractContextManager: ...

    def default_iteration(self) -> dict: ...

    def student_step(self) -> torch.Tensor: ...

    def backward_step(self, losses, optimizers) -> None: ...


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
    """A recipe. Subclasses change the losses, the source of x or the loop."""

    name = "method"
    Settings = KDSettings
    uses_generator = True  # False: G is built but never trained (e.g. DeepInversion)

    def __init__(self, cfg: DistillConfig, *, name: str | None = None):
        self.cfg = cfg
        self.name = name or self.name
        self.settings = self.Settings(**cfg.settings_of(self.name))

    # ---- set up and release --------------------------------------------------------------
    def setup(self, engine: Engine) -> None:
        """Called once the engine has built T, S and G (e.g. to hook T's BN layers)."""

    def close(self) -> None:
        """Release what `setup` attached, so a reused teacher keeps no trace of this run."""

    # ---- the iteration -------------------------------------------------------------------
    def iteration(self, engine: Engine) -> dict:
        """One iteration; returns {name: tensor} of losses (default: the engine's loop)."""
        return engine.default_iteration()

    def images_per_iteration(self) -> int:
        """Images the iteration's steps pass through the models, a batch counted once per step
        (metrics.json's `images_per_second`): k student batches and one generator batch."""
        return (self.cfg.student_steps + 1) * self.cfg.batch_size

    # ---- the student step ----------------------------------------------------------------
    def student_batch(self, engine: Engine) -> tuple[torch.Tensor, torch.Tensor]:
        """Synthetic images x and teacher logits t = T(x); the engine calls it under no_grad."""
        z = engine.sample_z()
        x = engine.G(z)  # G is not updated by the student step
        return x, engine.T(x)

    def student_loss(self, engine: Engine, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """L_S on synthetic images x with teacher logits t (computed without autograd)."""
        return discrepancy(self.settings.discrepancy, engine.S(x), t,
                           temperature=self.settings.temperature)

    def after_student_step(self, engine: Engine, x: torch.Tensor, t: torch.Tensor) -> None:
        """Called after S's update with the same batch (train auxiliary networks here)."""

    # ---- the generator step --------------------------------------------------------------
    def generator_step(self, engine: Engine) -> tuple[torch.Tensor, dict]:
        """One update of G: minimise L_G (S's parameters get no gradient)."""
        z = engine.sample_z()
        with no_param_grad(engine.S), engine.autocast():
            loss_G, parts = self.generator_loss(engine, z)
        engine.opt_G.zero_grad(set_to_none=True)
        engine.backward_step(loss_G, engine.opt_G)
        return loss_G.detach(), {k: v.detach() for k, v in parts.items()}

    def generator_loss(self, engine: Engine, z: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """L_G for one batch of z; returns (loss, {name: tensor}) for the history."""
        raise NotImplementedError

    # ---- what the engine reports ---------------------------------------------------------
    def snapshot_images(self, engine: Engine, z: torch.Tensor) -> torch.Tensor:
        """The synthetic images a snapshot shows (called under no_grad)."""
        return engine.G(z)

    def iteration_logs(self) -> dict:
        """Extra {name: tensor} for the training history of the iteration just made."""
        return {}

    def history_records(self) -> dict:
        """Extra {history key: record} appended at each log step (e.g. per-layer R_l)."""
        return {}

    def run_metrics(self, engine: Engine) -> dict:
        """Extra entries for metrics.json (e.g. the memory a replay model holds)."""
        return {}

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Extra state a method keeps between steps (saved in checkpoints)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class HooksTeacherBN:
    """For a method that judges x by T's BN statistics: `setup` hooks every BN layer of T
    (when `wants_bn()`), the hooks record only inside `with self.bn.recording():`, `close`
    releases them, and each log step adds R_l per layer to the history (`bn_layers`)."""

    bn: BNStatistics | None = None
    reduce = None  # the engine's `reduce_statistics`, kept by `setup`

    def wants_bn(self) -> bool:
        return True

    def setup(self, engine: Engine) -> None:
        self.reduce = getattr(engine, "reduce_statistics", None)  # None: one process
        if self.wants_bn():
            self.bn = BNStatistics(engine.T, reduce=self.reduce)
            if not len(self.bn):  # e.g. a ViT, or TorchScript (its layers are not nn modules)
                self.bn = None
                raise UserError(f"the teacher ({type(engine.T).__name__}) has no BatchNorm "
                                "layers (nn.BatchNorm*), whose statistics L_BN matches; "
                                "distil it with a method without L_BN, e.g. --method dfad")
            self.bn.set_enabled(False)  # on only while a loss needs the statistics

    def close(self) -> None:
        if self.bn is not None:
            self.bn.remove()
            self.bn = None

    def history_records(self) -> dict:
        return {"bn_layers": self.bn.per_layer()} if self.bn is not None else {}
