"""A lesson's first cell after its parameters: the device, the folders, the seed, in one call.

    lesson = setup(profile, device=device, out_dir=out_dir, seed=seed,
                   cache_dir=cache_dir, data_root=data_root)
    device, progress, paths, out = lesson.device, lesson.progress, lesson.paths, lesson.out

On Colab or Binder a notebook left on the CPU moves to the hosted GPU when there is one
(`notebook_device`); the device is then printed in one line (`describe_device`). Progress bars
are off in the smoke profile, so that logs stay readable. The folders are the series' own
(`series_paths`: the run folder `out` is made) and torch's global generator is seeded for the
notebook's own random draws (each run seeds itself). `cpu_only` is for the lessons that always
run on the CPU (the 2-D toy): no move to a GPU, nothing printed.

Every figure the notebook shows from then on is also written as an SVG file into
`out/figures/` (`viz.svg.save_shown_figures`: slide-ready copies in the run's folder, never in
git; `Lesson.figures` is that folder).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from ..hardware import describe_device, notebook_device
from ..paths import series_paths
from ..viz.svg import save_shown_figures


@dataclass(frozen=True)
class Lesson:
    """What a notebook's later cells use: its profile, device, seed and folders."""

    profile: str
    device: str
    seed: int
    progress: bool  # tqdm bars; off in smoke runs
    paths: dict  # series_paths: out_dir, cache_dir, data_root, shared_runs
    out: Path  # the notebook's run folder (made)
    hosted: bool  # on Colab or Binder
    figures: Path  # out/figures: an SVG copy of every figure the notebook shows


def on_hosted_service() -> bool:
    """True on Colab or Binder."""
    return "google.colab" in sys.modules or "BINDER_LAUNCH_HOST" in os.environ


def setup(profile: str, *, out_dir: str | os.PathLike, device: str = "cpu", seed: int = 0,
          cache_dir: str | os.PathLike | None = None,
          data_root: str | os.PathLike | None = None, cpu_only: bool = False) -> Lesson:
    """The lesson's device, folders and seed (see the module docstring)."""
    hosted = on_hosted_service()
    if not cpu_only:
        if hosted and device == "cpu":  # Colab or Binder: the GPU when there is one
            device = notebook_device()
        print(describe_device(device))  # amp="auto": bf16 where native, fp16 on a T4
    paths = series_paths(cache_dir=cache_dir, data_root=data_root, out_dir=out_dir)
    torch.manual_seed(seed)
    figures = Path(paths["out_dir"]) / "figures"
    save_shown_figures(figures)  # in IPython only
    return Lesson(profile=profile, device=device, seed=seed, progress=profile != "smoke",
                  paths=paths, out=paths["out_dir"], hosted=hosted, figures=figures)
