"""The replayed samples of a "+replay" run: its saved VAE rebuilt from the checkpoint, sampled.

    replay_samples_from_run(run_dir)   n samples V(z) of the run's VAE, uint8 images, for
                                       `viz.replay_samples_figure` to draw

This is where the method is rebuilt (from the run's config and checkpoint), so that viz only
draws the tensors it is given.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import DistillConfig
from ..data import dataset_info, denormalize
from ..files import load_torch
from ..methods import build_method


def replay_samples_from_run(run_dir, *, n: int = 32, seed: int = 0) -> torch.Tensor:
    """n samples V(z), z ~ N(0, I), of the VAE saved in a "+replay" run's checkpoint, as uint8
    images (without the run's tuning of z towards the teacher: no teacher is loaded here)."""
    state = load_torch(Path(run_dir) / "checkpoint.pt", what="checkpoint")
    cfg = DistillConfig.from_dict(state["config"])
    cfg.device = "cpu"
    method = build_method(cfg)
    if not hasattr(method, "V"):
        raise ValueError(f"{run_dir} is a {cfg.method} run, not a '+replay' one")
    method.load_state_dict(state["method"])
    method.rng.manual_seed(seed)
    x = method.sample(n)
    return (denormalize(x, dataset_info(cfg.dataset)).clamp(0, 1) * 255).round().to(torch.uint8)
