"""Figures of generative pseudo replay: forgetting curves, replayed samples, memory.

    accuracy_curves(rows)                   accuracy over training, one colour per method, a
                                            thin line per seed and the mean over seeds in bold
    replay_samples_figure(novel, replayed)  G's samples above the VAE's (an `image_grid`)
    replay_memory_figure(metrics, buffer)   the VAE's bytes beside an equal-bytes buffer and
                                            storing every sample it learnt from

`rows` are those of `ddad_lite.runs.sweep.sweep` (each with a `curve` of
(iteration, accuracy) pairs). Every figure is returned closed (`images.done`). The replayed
samples of a run's saved VAE come from `runs/replay_samples.py` (viz draws, never builds a
method).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from .axes import iteration_axis, legible, log_axis
from .images import done, image_grid


def accuracy_curves(rows: list[dict], *, percent: bool = True,
                    title: str = "Student accuracy during training") -> Figure:
    """Accuracy against iteration for each method: seeds thin, their mean bold."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    scale = 100.0 if percent else 1.0
    methods = list(dict.fromkeys(r["method"] for r in rows))
    for i, method in enumerate(methods):
        color = f"C{i}"
        curves = [r["curve"] for r in rows if r["method"] == method and r["curve"]]
        for curve in curves:
            its, acc = zip(*curve, strict=True)
            ax.plot(its, [a * scale for a in acc], color=color, alpha=0.3, lw=1)
        n = min(len(c) for c in curves) if curves else 0
        if n:
            its = [curves[0][j][0] for j in range(n)]
            mean = [sum(c[j][1] for c in curves) / len(curves) * scale for j in range(n)]
            ax.plot(its, mean, color=color, lw=2.5, label=f"{method} (mean of {len(curves)})")
    iteration_axis(ax, "iteration (generator steps)")
    ax.set_ylabel("test accuracy" + (" (%)" if percent else ""))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if methods:
        ax.legend()
    legible(fig)
    return done(fig)


def replay_samples_figure(novel: torch.Tensor, replayed: torch.Tensor, *, n: int = 16,
                          title: str | None = None) -> Figure:
    """`n` of the generator's novel samples x = G(z) in one row, `n` of the VAE's replayed
    samples x' = V(z') in the row below (uint8 or [0, 1] images)."""
    n = min(n, len(novel), len(replayed))
    return image_grid(list(novel[:n]) + list(replayed[:n]), ncols=n, cell_inches=0.8,
                      row_labels=("G(z)\nnovel", "V(z')\nreplayed"), title=title)


def replay_memory_figure(metrics: dict, buffer_metrics: dict | None = None) -> Figure:
    """Memory of three ways to remember the synthetic stream (log scale): the VAE's bytes
    (`metrics` of a "+replay" run), a replay buffer of as many bytes (`buffer_metrics` of a
    "+buffer" run, if given: how many images it holds), and storing every image the VAE
    learnt from (uint8 and float32)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    labels = ["VAE parameters"]
    values = [metrics["replay_memory_bytes"]]
    if buffer_metrics is not None:
        labels.append(f"buffer, same bytes\n({buffer_metrics['buffer_capacity_images']:,} "
                      f"{buffer_metrics.get('buffer_dtype', 'uint8')} images)")
        values.append(buffer_metrics["buffer_memory_bytes"])
    labels += ["store all\n(uint8)", "store all\n(float32)"]
    values += [metrics["replay_equivalent_samples_bytes"],
               metrics["replay_equivalent_samples_bytes_float32"]]
    colors = ["C2"] + (["C1"] if buffer_metrics is not None else []) + ["C7", "C7"]
    bars = ax.barh(labels, [v / 2**20 for v in values], color=colors)
    for bar, v in zip(bars, values, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v / 2**20:.2f} MiB",
                va="center")
    log_axis(ax, "x")
    ax.set_xlabel("memory (MiB, log scale)")
    ax.set_title(f"Replay memory after {metrics['replay_samples_seen']:,} synthetic images")
    legible(fig)
    return done(fig)
