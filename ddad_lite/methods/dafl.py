"""DAFL (Chen et al., 2019): the generator learns from the teacher's priors alone.

The teacher T is the only judge of x = G(z). With features f = T.forward_features(x),
logits t = T.forward_head(f), p = softmax(t) and the batch-mean class distribution
p_bar = mean_i p_i:

    L_oh  = CE(t, argmax t)                   one-hot: T should be confident on x
    L_a   = -mean |f|                         activation: x should excite T's features
    L_ie  = -H(p_bar) = sum_c p_bar_c log p_bar_c   information entropy: classes balanced
    L_G   = dafl_onehot * L_oh + dafl_activation * L_a + dafl_entropy * L_ie

(DAFL's own weights are the defaults: 1, 0.1, 5.) The student is then distilled on the
generated samples with the engine's default student step, L_S = D(S(x), T(x)), where D is
KL at temperature tau = 1 for `dafl` (as in DAFL's code: KL(p_T || p_S)); set
`discrepancy="l1"` to use DFAD's L1 instead. The student plays no part in L_G.
"""

from __future__ import annotations

from ..config import DistillConfig
from ..losses import class_balance_loss, onehot_loss
from .base import Method


class DAFL(Method):
    """L_G = w_oh * L_oh + w_a * L_a + w_ie * L_ie from the teacher's priors."""

    name = "dafl"

    def __init__(self, cfg: DistillConfig):
        super().__init__(cfg)
        self.w_onehot = cfg.dafl_onehot
        self.w_activation = cfg.dafl_activation
        self.w_entropy = cfg.dafl_entropy

    def generator_loss(self, engine, z):
        x = engine.G(z)
        f = engine.T.forward_features(x)
        t = engine.T.forward_head(f)
        # One-hot: T's own argmax as the label (a constant target).
        loss_onehot = onehot_loss(t)
        # Activation: large feature magnitudes, as real images give.
        loss_activation = -f.abs().mean()
        # Information entropy of the batch-mean prediction (minus it, to maximise it).
        loss_entropy = class_balance_loss(t)
        loss = (self.w_onehot * loss_onehot + self.w_activation * loss_activation
                + self.w_entropy * loss_entropy)
        return loss, {"loss_onehot": loss_onehot, "loss_activation": loss_activation,
                      "loss_entropy": loss_entropy}
