"""Methods as recipes: given the engine's T, S and G, how the losses of G and S are made.

The engine owns the loop (k student steps, then one generator step); a method owns the
losses. In the notation of REFERENCE.md, with x = G(z), z ~ N(0, I):

    DDAD     L_G = alpha * L_BN(T, x) - beta * D(S(x), T(x))     L_S = D(S(x), T(x))
             [+ lambda_ie * L_ie(T(x)) + lambda_oh * L_oh(T(x)), optional teacher priors]
    DFAD     the same with alpha = 0 (adversarial only)
    bn_only  the same with beta = 0 (the generator matches T's BN statistics only)

Student steps use x = G(z).detach(): no gradient flows back into G, and T runs without
autograd.
"""

from __future__ import annotations

import torch

from .config import DistillConfig
from .errors import unknown_name
from .losses import class_balance_loss, discrepancy, onehot_loss


class Method:
    """A recipe. Subclasses set the losses; the engine calls these hooks."""

    name = "method"
    uses_bn_statistics = False  # the engine hooks T's BN layers when True

    def __init__(self, cfg: DistillConfig):
        self.cfg = cfg

    def generator_loss(self, engine, z: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """L_G for one batch of z; returns (loss, {name: tensor}) for the history."""
        raise NotImplementedError

    def student_loss(self, engine, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """L_S on synthetic images x with teacher logits t (computed without autograd)."""
        return discrepancy(self.cfg.discrepancy, engine.S(x), t,
                           temperature=self.cfg.temperature)

    def state_dict(self) -> dict:
        """Extra state a method keeps between steps (saved in checkpoints)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class AdversarialMethod(Method):
    """DDAD, DFAD and the BN-only ablation: L_G = alpha * L_BN - beta * D(S(x), T(x)),
    plus the optional class-balance (L_ie) and one-hot (L_oh) priors on T(x)."""

    name = "ddad"

    def __init__(self, cfg: DistillConfig):
        super().__init__(cfg)
        self.alpha, self.beta = cfg.alpha, cfg.beta
        self.uses_bn_statistics = self.alpha != 0
        self.generator_discrepancy = cfg.generator_discrepancy or cfg.discrepancy

    def generator_loss(self, engine, z):
        x = engine.G(z)
        t = engine.T(x)  # the teacher's BN hooks record the batch statistics of x
        logs, loss = {}, x.new_zeros(())
        if self.alpha:
            l_bn = engine.bn.loss()  # teacher as discriminator
            loss = loss + self.alpha * l_bn
            logs["loss_bn"] = l_bn
        if self.cfg.class_balance_weight:
            l_ie = class_balance_loss(t)  # every class equally often in the batch
            loss = loss + self.cfg.class_balance_weight * l_ie
            logs["loss_ie"] = l_ie
        if self.cfg.onehot_weight:
            l_oh = onehot_loss(t)  # confident teacher predictions
            loss = loss + self.cfg.onehot_weight * l_oh
            logs["loss_oh"] = l_oh
        if self.beta:
            adv = discrepancy(self.generator_discrepancy, engine.S(x), t,
                              temperature=self.cfg.temperature)  # student as discriminator
            loss = loss - self.beta * adv
            logs["loss_adv"] = adv
        return loss, logs


METHODS: dict[str, type[Method]] = {
    "ddad": AdversarialMethod,
    "dfad": AdversarialMethod,
    "bn_only": AdversarialMethod,
}


def available_methods() -> list[str]:
    return sorted(METHODS)


def build_method(cfg: DistillConfig) -> Method:
    """The method object for `cfg.method` (its settings are already in cfg)."""
    base = cfg.method.split("+")[0]
    if base not in METHODS:
        raise unknown_name("method", cfg.method, METHODS)
    return METHODS[base](cfg)
