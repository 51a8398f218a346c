"""DDAD, DFAD and the BN-only ablation: the generator faces the teacher and the student.

In the notation of REFERENCE.md, with x = G(z), z ~ N(0, I):

    DDAD     L_G = alpha * L_BN(T, x) - beta * D(S(x), T(x))     L_S = D(S(x), T(x))
    DFAD     the same with alpha = 0 (adversarial only)
    bn_only  the same with beta = 0 (the generator matches T's BN statistics only)

DDAD's L_G may add DAFL's teacher priors on T(x), off by default:
    + lambda_ie * L_ie (class balance, `class_balance_weight`)
    + lambda_oh * L_oh (one-hot confidence, `onehot_weight`)

Student steps use x = G(z).detach(): no gradient flows back into G, and T runs without
autograd (the `Method` defaults).
"""

from __future__ import annotations

from ..config import DistillConfig
from ..losses import class_balance_loss, discrepancy, onehot_loss
from .base import Method


class AdversarialMethod(Method):
    """L_G = alpha * L_BN - beta * D(S(x), T(x)); L_S = D(S(x), T(x))."""

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
