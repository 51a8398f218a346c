"""Soft targets: one logit vector of the teacher through softmax at several temperatures.

Knowledge distillation (Hinton, Vinyals and Dean, 2015) trains the student on the teacher's
*soft targets*, the softmax of its logits t at a temperature tau,

    p_T(tau) = softmax(t / tau),   L_KD = tau^2 KL(p_T(tau) || p_S(tau))

At tau = 1 a confident teacher puts almost all mass on one class, which says little more than
the label; a larger tau lifts the small probabilities, and their ratios (which wrong classes
the teacher finds similar) become visible to the student. The tau^2 keeps the gradients of
L_KD on the same scale as tau changes.

    soft_targets(logits, tau)                       softmax(logits / tau)
    soft_targets_figure(logits, temperatures=...)   one bar chart per tau, with the entropy
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from .axes import legible
from .images import done


def soft_targets(logits, temperature: float) -> torch.Tensor:
    """softmax(logits / tau) of one logit vector (a tensor or a sequence of numbers)."""
    if temperature <= 0:
        raise ValueError(f"the temperature must be > 0, not {temperature}")
    return torch.softmax(torch.as_tensor(logits, dtype=torch.float64) / temperature, dim=-1)


def soft_targets_figure(logits, *, temperatures=(1, 4, 10), class_names=None,
                        title: str | None = None) -> Figure:
    """One panel per temperature: the soft targets of `logits` over the classes, titled with
    tau and the entropy in bits (log2 of the number of classes is uniform)."""
    logits = torch.as_tensor(logits, dtype=torch.float64).flatten()
    names = list(class_names) if class_names else [str(c) for c in range(len(logits))]
    fig, axes = plt.subplots(1, len(temperatures), figsize=(4 * len(temperatures), 3.2),
                             sharey=True, squeeze=False)
    for ax, tau in zip(axes[0], temperatures, strict=True):
        p = soft_targets(logits, tau)
        entropy = float(-(p * torch.log2(p.clamp_min(1e-300))).sum())
        ax.bar(range(len(p)), p.numpy(), color=["C3" if k == int(p.argmax()) else "C0"
                                                for k in range(len(p))])
        ax.set_xticks(range(len(p)), names, rotation=60, ha="right", fontsize=8)
        ax.set_title(f"tau = {tau}: entropy {entropy:.2f} bits "
                     f"(uniform {math.log2(len(p)):.2f})", fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("softmax(t / tau)")
    if title:
        fig.suptitle(title)
    legible(fig)
    return done(fig)


__all__ = ["soft_targets", "soft_targets_figure"]
