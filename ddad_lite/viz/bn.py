"""BatchNorm statistics, drawn: how well a synthetic batch matches the teacher's layers.

For each BN layer l of T, a forward hook (`losses.BNStatistics`) keeps the batch mean mu_l and
biased variance sigma_l^2 of the layer's input, beside the layer's running_mean and
running_var (the fingerprint of T's training data). Its loss term is

    R_l = || mu_l - running_mean_l ||_2 + || sigma_l^2 - running_var_l ||_2,  L_BN = sum_l R_l.

`bn_match_figure` scatters mu_l against running_mean_l and sigma_l^2 against running_var_l
per channel (points on the diagonal: matched); `bn_layer_bars` draws R_l per layer.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .axes import iteration_axis, legible
from .images import done


def layer_statistics(bn) -> list[dict]:
    """Rows per layer (name, mu_l, sigma_l^2, running statistics, R_l) from a `BNStatistics`
    after a forward pass (`BNStatistics.rows`), or rows already made by `measure_bn`."""
    rows = bn if isinstance(bn, list) else bn.rows()
    if not rows:
        raise ValueError("no BN statistics recorded: run the teacher on a batch first")
    return rows


def bn_match_figure(bn, *, max_layers: int = 6, title: str | None = None) -> Figure:
    """Batch vs running mean (top row) and variance (bottom row), one column per layer."""
    rows = layer_statistics(bn)
    if len(rows) > max_layers:  # evenly spaced layers, first and last included
        picks = sorted({round(k * (len(rows) - 1) / (max_layers - 1)) for k in range(max_layers)})
        rows = [rows[k] for k in picks]
    fig, axes = plt.subplots(2, len(rows), figsize=(2.3 * len(rows), 4.6), squeeze=False)
    for col, r in enumerate(rows):
        for row, (batch, running, label) in enumerate(
                ((r["mean"], r["running_mean"], "mu_l"),
                 (r["var"], r["running_var"], "sigma_l^2"))):
            ax = axes[row][col]
            ax.scatter(running.numpy(), batch.numpy(), s=6)
            lo = float(min(running.min(), batch.min()))
            hi = float(max(running.max(), batch.max()))
            ax.plot([lo, hi], [lo, hi], color="gray", lw=0.8, ls="--")
            ax.set_xlabel("running (T's data)", fontsize=7)
            ax.set_ylabel(f"batch {label}", fontsize=7)
            ax.tick_params(labelsize=6)
            if row == 0:
                ax.set_title(f"{r['name']}\nR_l = {r['R']:.2f}", fontsize=8)
    fig.suptitle(title or "per-layer BN statistics: on the diagonal = matched", fontsize=10)
    legible(fig)
    return done(fig)


def bn_layer_bars(per_layer: dict, *, compare: dict | None = None, labels=("batch", "other"),
                  title: str = "R_l per BN layer") -> Figure:
    """R_l per layer as bars (e.g. from `BNStatistics.per_layer()`); `compare` adds a second
    set of bars for another batch (e.g. random noise vs generated images)."""
    names = list(per_layer)
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(names) + 2), 3))
    width = 0.4 if compare else 0.8
    xs = range(len(names))
    ax.bar([x - (width / 2 if compare else 0) for x in xs], [per_layer[n] for n in names],
           width=width, label=labels[0])
    if compare:
        ax.bar([x + width / 2 for x in xs], [compare.get(n, 0.0) for n in names], width=width,
               label=labels[1])
        ax.legend(fontsize=7)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("R_l")
    ax.set_title(title)
    legible(fig)
    return done(fig)


def bn_layers_over_time(bn_history: list[dict], *, title: str = "R_l over training") -> Figure:
    """R_l of each layer over iterations, from `history["bn_layers"]`."""
    fig, ax = plt.subplots(figsize=(6, 3.3))
    if bn_history:
        layers = [k for k in bn_history[0] if k != "iteration"]
        xs = [r["iteration"] for r in bn_history]
        for name in layers:
            ax.plot(xs, [r.get(name, float("nan")) for r in bn_history], label=name)
        ax.legend(fontsize=6, ncol=2)
    else:
        ax.text(0.5, 0.5, "no BN history (a method without the BN term)", ha="center",
                va="center", transform=ax.transAxes)
    iteration_axis(ax)
    ax.set_ylabel("R_l")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    legible(fig)
    return done(fig)
