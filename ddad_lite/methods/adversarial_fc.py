"""Adversarial* (Jin et al., ICCCS 2021), as this kit interprets it.

Only the paper's abstract is known: "teacher and student both act as discriminators to
generate the training samples; then teacher and student act as generators of outputs and a
small fully connected network is the discriminator that tells teacher outputs from student
outputs, its adversarial loss added to the student's distillation loss". The details below
are the kit's own choices, not the paper's.

Generation: DDAD's generator loss, the teacher judging through its BN statistics and the
student through the discrepancy:

    L_G = alpha * L_BN(T, x) - beta * D(S(x), T(x))

Compression: with p_T = softmax(T(x) / tau), p_S = softmax(S(x) / tau) and a small MLP
D_fc (models/discriminators.py: num_classes -> hidden -> hidden -> 1, LeakyReLU 0.2) whose
logit says "this output is the teacher's":

    L_D   = BCE(D_fc(p_T), 1) + BCE(D_fc(p_S), 0)                 trained after each S step
    L_adv = BCE(D_fc(p_S), 1)                                     S fools D_fc
    L_S   = D(S(x), T(x)) + fc_adversarial * L_adv

D_fc (width `fc_hidden`) is trained with Adam (lr `fc_lr`, betas 0.5, 0.999) once per student
step, on the same batch; its parameters get no gradient from L_S. Both D_fc and its optimiser
are saved in checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..config import DistillConfig
from ..data import dataset_info
from ..models import build
from .base import Engine, no_param_grad
from .ddad import DDAD, WeightedSettings


@dataclass
class AdversarialFCSettings(WeightedSettings):
    """DDAD's generator weights, plus the FC discriminator on outputs."""

    fc_adversarial: float = 0.1  # weight of L_adv in L_S
    fc_hidden: int = 64  # width of D_fc
    fc_lr: float = 1e-3  # D_fc's Adam lr


class AdversarialFC(DDAD):
    """DDAD's L_G; L_S = D(S(x), T(x)) + w * BCE(D_fc(p_S), teacher)."""

    name = "adv_fc"
    Settings = AdversarialFCSettings

    def __init__(self, cfg: DistillConfig, *, name: str | None = None):
        super().__init__(cfg, name=name)
        num_classes = dataset_info(cfg.dataset).num_classes
        self.D_fc = build("fc_discriminator", num_classes=num_classes,
                          hidden=self.settings.fc_hidden).to(cfg.device)
        self.opt_D = torch.optim.Adam(self.D_fc.parameters(), lr=self.settings.fc_lr,
                                      betas=(0.5, 0.999))
        self.weight = self.settings.fc_adversarial
        self._s = None  # S(x) of the latest student step, detached, for D_fc's update
        self._logs: dict = {}

    def _probabilities(self, logits):
        return F.softmax(logits.float() / self.settings.temperature, dim=1)

    def iteration(self, e: Engine, memory=None) -> dict:
        """DDAD's iteration, with L_S and D_fc's update below."""
        return {**super().iteration(e, memory), **self._logs}

    def student_loss(self, s, t):
        """L_S = D(S(x), T(x)) + fc_adversarial * BCE(D_fc(p_S), 1)."""
        self._s = s.detach()
        loss_kd = self.D(s, t)
        with no_param_grad(self.D_fc):  # the gradient reaches S through D_fc, not D_fc itself
            d_s = self.D_fc(self._probabilities(s))
        loss_adv = F.binary_cross_entropy_with_logits(d_s, torch.ones_like(d_s))
        self._logs.update(loss_kd=loss_kd.detach(), loss_fc_adv=loss_adv.detach())
        return loss_kd + self.weight * loss_adv

    def after_student_step(self, x, t):
        """D_fc learns to tell teacher outputs (1) from student outputs (0) on this batch."""
        d_t = self.D_fc(self._probabilities(t))
        d_s = self.D_fc(self._probabilities(self._s))
        loss_D = (F.binary_cross_entropy_with_logits(d_t, torch.ones_like(d_t))
                  + F.binary_cross_entropy_with_logits(d_s, torch.zeros_like(d_s)))
        self.opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        self.opt_D.step()
        self._logs["loss_D_fc"] = loss_D.detach()

    def state_dict(self):
        return {**super().state_dict(), "D_fc": self.D_fc.state_dict(),
                "opt_D": self.opt_D.state_dict()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.D_fc.load_state_dict(state["D_fc"])
        self.opt_D.load_state_dict(state["opt_D"])
