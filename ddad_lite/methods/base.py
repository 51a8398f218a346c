"""The `Method` interface: the hooks through which the engine's one loop runs every method.

The engine (engine.py) owns the loop: per iteration, k student steps, then one generator
step. A method decides what happens inside them, through these hooks:

    student_batch(engine)            -> (x, t)   synthetic images and T(x), under no_grad
                                                  (default: z ~ N(0, I), x = G(z), t = T(x))
    student_loss(engine, x, t)       -> L_S      (default: D(S(x), t))
    after_student_step(engine, x, t)              e.g. train an auxiliary network (default: none)
    generator_step(engine)           -> (L_G, logs)  one update of whatever synthesises x
                                                  (default: one Adam step of G on L_G)
    generator_loss(engine, z)        -> (L_G, logs)  L_G for one batch of z
    snapshot_images(engine, z)       -> x        the images shown in snapshots (default: G(z))
    iteration_logs()                 -> {name: tensor} extra numbers for the history
    run_metrics(engine)              -> {name: value}  extra entries for metrics.json
    state_dict() / load_state_dict() the method's own state, saved in every checkpoint

The defaults reproduce DFAD's protocol exactly, so a method overrides only what it changes.
Flags: `uses_bn_statistics` (the engine hooks T's BN layers), `uses_generator` (the engine
steps G's learning-rate schedule).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn as nn

from ..config import DistillConfig
from ..losses import discrepancy


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
    """A recipe. Subclasses change the losses or the source of x; the engine calls the hooks."""

    name = "method"
    uses_bn_statistics = False  # the engine hooks T's BN layers when True
    uses_generator = True  # False: G is built but never trained (e.g. DeepInversion)

    def __init__(self, cfg: DistillConfig):
        self.cfg = cfg

    # ---- the student step ----------------------------------------------------------------
    def student_batch(self, engine) -> tuple[torch.Tensor, torch.Tensor]:
        """Synthetic images x and teacher logits t = T(x); the engine calls it under no_grad."""
        z = engine.sample_z()
        x = engine.G(z)  # G is not updated by the student step
        return x, engine.T(x)

    def student_loss(self, engine, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """L_S on synthetic images x with teacher logits t (computed without autograd)."""
        return discrepancy(self.cfg.discrepancy, engine.S(x), t,
                           temperature=self.cfg.temperature)

    def after_student_step(self, engine, x: torch.Tensor, t: torch.Tensor) -> None:
        """Called after S's update with the same batch (train auxiliary networks here)."""

    # ---- the generator step --------------------------------------------------------------
    def generator_step(self, engine) -> tuple[torch.Tensor, dict]:
        """One update of G: minimise L_G (S's parameters get no gradient)."""
        z = engine.sample_z()
        with no_param_grad(engine.S), engine.autocast():
            loss_G, parts = self.generator_loss(engine, z)
        engine.opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        engine.opt_G.step()
        return loss_G.detach(), {k: v.detach() for k, v in parts.items()}

    def generator_loss(self, engine, z: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """L_G for one batch of z; returns (loss, {name: tensor}) for the history."""
        raise NotImplementedError

    # ---- what the engine reports ---------------------------------------------------------
    def snapshot_images(self, engine, z: torch.Tensor) -> torch.Tensor:
        """The synthetic images a snapshot shows (called under no_grad)."""
        return engine.G(z)

    def iteration_logs(self) -> dict:
        """Extra {name: tensor} for the training history of the iteration just made."""
        return {}

    def run_metrics(self, engine) -> dict:
        """Extra entries for metrics.json (e.g. the memory a replay model holds)."""
        return {}

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Extra state a method keeps between steps (saved in checkpoints)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
