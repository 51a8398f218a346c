"""Inverting a teacher through its BatchNorm statistics alone (DeepInversion's core idea).

The running statistics of T's BN layers are a fingerprint of its training data. Images whose
per-layer batch statistics match them look, to T, like its training data. With T frozen,

    L_BN(x) = sum_l R_l(x),   R_l = || mu_l(x) - running_mean_l ||_2
                                  + || sigma_l^2(x) - running_var_l ||_2

is minimised over

  * the pixels of a batch x directly (`invert_pixels`): x <- x - lr * Adam(grad_x L_BN), or
  * the weights of a generator G with x = G(z), z ~ N(0, I) (`invert_generator`): the
    generator half of DDAD's objective (alpha = 1, beta = 0), without any student.

Both return an `InversionResult`: the BN loss at every iteration and the images (uint8, as the
engine's snapshots store them) at recorded iterations, ready for `viz.frames_figure` or
`viz.frame_browser`. T is used as the engine uses it: eval mode, no parameter gradients; the
hooks are removed before returning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ..data import dataset_info, denormalize
from ..losses import BNStatistics
from ..models import build, freeze


@dataclass
class InversionResult:
    losses: list = field(default_factory=list)        # L_BN at every iteration
    iterations: list = field(default_factory=list)    # iterations at which frames were kept
    frames: list = field(default_factory=list)        # uint8 (N, C, H, W) per kept iteration
    per_layer_start: dict = field(default_factory=dict)  # R_l at the first iteration
    per_layer_end: dict = field(default_factory=dict)    # R_l after the last update
    x: torch.Tensor | None = None                      # the final batch (normalised)
    generator: nn.Module | None = None                 # the trained G (invert_generator)


def to_uint8(x: torch.Tensor, info) -> torch.Tensor:
    """A normalised batch -> uint8 images, as `Distiller.snapshot()` stores them."""
    return (denormalize(x.detach().float(), info).clamp(0, 1) * 255).round().to(torch.uint8).cpu()


@torch.no_grad()
def measure_bn(teacher: nn.Module, x: torch.Tensor) -> list[dict]:
    """`BNStatistics.rows()` of the teacher on batch x (T in eval mode; hooks then removed)."""
    teacher.eval()
    bn = BNStatistics(teacher)
    try:
        teacher(x)
        return bn.rows()
    finally:
        bn.remove()


def _should_keep(i: int, iterations: int, record_every: int) -> bool:
    return i == 0 or i == iterations or (record_every and i % record_every == 0)


def invert_pixels(teacher: nn.Module, *, dataset: str = "shapes", batch_size: int = 32,
                  iterations: int = 200, lr: float = 0.1, record_every: int = 20,
                  seed: int = 0, device="cpu") -> InversionResult:
    """Optimise a batch of pixels x (from N(0, I)) against L_BN alone."""
    info = dataset_info(dataset)
    device = torch.device(device)
    torch.manual_seed(seed)
    x = torch.randn(batch_size, info.channels, info.image_size, info.image_size,
                    device=device, requires_grad=True)
    return _minimise_bn(teacher, [x], synthesise=lambda: x, frame=lambda: to_uint8(x, info),
                        lr=lr, iterations=iterations, record_every=record_every,
                        device=device)


def invert_generator(teacher: nn.Module, *, dataset: str = "shapes",
                     generator: str = "generator_a", nz: int = 128, ngf: int = 32,
                     batch_size: int = 64, iterations: int = 200, lr: float = 1e-2,
                     record_every: int = 20, frame_size: int = 32, seed: int = 0,
                     device="cpu") -> InversionResult:
    """Train a generator G, x = G(z), against L_BN alone (DDAD with alpha = 1, beta = 0 and no
    student). Frames show G on a fixed z of `frame_size` samples."""
    info = dataset_info(dataset)
    device = torch.device(device)
    torch.manual_seed(seed)
    G = build(generator, nz=nz, ngf=ngf, img_size=info.image_size,
              channels=info.channels).to(device)
    rng = torch.Generator(device).manual_seed(seed)
    fixed_z = torch.randn(frame_size, nz, generator=torch.Generator().manual_seed(seed + 1))
    result = _minimise_bn(
        teacher, list(G.parameters()),
        synthesise=lambda: G(torch.randn(batch_size, nz, device=device, generator=rng)),
        frame=lambda: to_uint8(G(fixed_z.to(device)), info),
        lr=lr, iterations=iterations, record_every=record_every, device=device)
    result.generator = G
    return result


def _minimise_bn(teacher, parameters, *, synthesise, frame, lr, iterations, record_every,
                 device) -> InversionResult:
    """The loop both inversions share: x = synthesise(), L_BN(T, x), one Adam step on
    `parameters`, for `iterations` steps. `frame()` (drawn with T's hooks off, so it never
    counts in L_BN) is kept every `record_every` iterations and at the end."""
    T = freeze(teacher).to(device)
    opt = torch.optim.Adam(parameters, lr=lr)
    bn = BNStatistics(T)
    result = InversionResult()
    try:
        for i in range(iterations + 1):
            if _should_keep(i, iterations, record_every):
                with torch.no_grad():
                    bn.set_enabled(False)
                    result.iterations.append(i)
                    result.frames.append(frame())
                    bn.set_enabled(True)
            x = synthesise()
            T(x)
            loss = bn.loss()
            result.losses.append(float(loss.detach()))
            if i == 0:
                result.per_layer_start = bn.per_layer()
            if i == iterations:
                result.per_layer_end = bn.per_layer()
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        bn.remove()
    result.x = x.detach()
    return result
