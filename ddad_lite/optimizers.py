"""The optimisers and learning-rate schedules of a distillation run, from its config.

    S: SGD(lr_student, momentum, weight_decay)   (DFAD's; `student_optimizer="sgd"`)
       or Adam(lr_student, weight_decay)         (DAFL's on MNIST; `"adam"`)
    G: Adam(lr_generator)                        (DFAD's and DAFL's)

Both learning rates are multiplied by `lr_gamma` at each milestone, `lr_milestones` given as
fractions of `iterations` (rounded to whole iterations, at least 1); G's only when
`schedule_generator` is set (DAFL keeps G's constant). Fused or foreach kernels are used where
the device makes them pay (`hardware.optimizer_options`); they change rounding only. Under a
gradient scaler (fp16) the optimisers are never fused: torch's fused CPU SGD with momentum
fills its momentum buffer from a step the scaler skipped (the still-scaled gradients), and the
weights blow up a few steps later (tests/test_optimizers.py shows it).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .config import STUDENT_OPTIMIZERS, DistillConfig
from .hardware import optimizer_options

__all__ = ["STUDENT_OPTIMIZERS", "build_optimizers"]


def build_optimizers(cfg: DistillConfig, S: nn.Module, G: nn.Module, device, *,
                     scaled: bool = False) -> tuple:
    """(opt_S, opt_G, sched_S, sched_G) for a run of `cfg`; `scaled`: the steps go through an
    enabled gradient scaler (fp16), so no fused kernels."""
    sgd = cfg.student_optimizer == "sgd"
    opt_class = torch.optim.SGD if sgd else torch.optim.Adam
    opt_S = opt_class(S.parameters(), lr=cfg.lr_student, weight_decay=cfg.weight_decay,
                      **(dict(momentum=cfg.momentum) if sgd else {}),
                      **optimizer_options(device, opt_class, scaled=scaled))
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr_generator,
                             **optimizer_options(device, torch.optim.Adam, scaled=scaled))
    milestones = sorted({max(1, round(f * cfg.iterations)) for f in cfg.lr_milestones})
    sched_S = torch.optim.lr_scheduler.MultiStepLR(opt_S, milestones, cfg.lr_gamma)
    sched_G = torch.optim.lr_scheduler.MultiStepLR(
        opt_G, milestones if cfg.schedule_generator else [], cfg.lr_gamma)
    return opt_S, opt_G, sched_S, sched_G
