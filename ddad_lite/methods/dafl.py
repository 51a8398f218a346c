"""DAFL (Chen et al., ICCV 2019): the generator learns only from the teacher's priors, and G
and S are updated together, once per iteration, on one batch.

L_G is DDAD's weighted sum (ddad.py) with DAFL's three priors switched on (its weights per
dataset in the recipes) and no BN or adversarial term:

    L_G = onehot L_oh + activation L_a + entropy L_ie       (L_ie with log10, as DAFL's code)
    L_S = KL(S(x) || T(x)) at temperature 1, on x.detach() and T(x).detach()

The loop is DAFL-train.py's (lines 168-185): one z per iteration, x = G(z); G's and S's
losses are made on that one batch and both networks step. DAFL adds its KD loss to L_G and
calls backward once; S sees x.detach() and T(x).detach(), so the two graphs are disjoint and
two backward calls give the same gradients. `loop="alternate"` runs DFAD's loop instead
(k student steps, then one generator step: ddad.py).
"""

from __future__ import annotations

from ..config import DistillConfig
from ..errors import UserError
from .base import Engine, detached, no_param_grad
from .ddad import DDAD, WeightedSettings


class DAFL(DDAD):
    """DDAD's weighted L_G with DAFL's priors, in DAFL's joint loop."""

    name = "dafl"
    loops = ("alternate", "joint")

    @classmethod
    def check(cls, cfg: DistillConfig, settings: WeightedSettings) -> None:
        super().check(cfg, settings)
        if settings.loop == "joint" and cfg.student_steps != 1:
            raise UserError(f"the joint loop updates S once per iteration, but student_steps "
                            f"is {cfg.student_steps}; set student_steps=1 or loop=alternate")
        if settings.loop == "joint" and "+" in cfg.method:
            raise UserError(f"{cfg.method}: the joint loop does not combine with extensions; "
                            "set loop=alternate")

    def iteration(self, e: Engine, memory=None) -> dict:
        """G and S updated together on one batch x = G(z) (DAFL-train.py 168-185)."""
        if self.settings.loop == "alternate":
            return super().iteration(e, memory)
        _, S, G = e.nets
        with no_param_grad(S), e.autocast():
            x = G(e.sample_z())
            loss_G, terms, t = self.objective(e, x)
        x, t = x.detach(), t.detach()
        with e.autocast():
            loss_S = self.D(S(x), t)
        e.update([loss_G, loss_S], [e.opt.G, e.opt.S])
        return detached({"loss_S": loss_S, "loss_G": loss_G, **terms})

    def images_per_iteration(self) -> int:
        if self.settings.loop == "joint":
            return self.cfg.batch_size
        return super().images_per_iteration()
