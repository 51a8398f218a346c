"""Inverting a teacher through its BatchNorm statistics alone (DeepInversion's core idea).

The running statistics of T's BN layers are a fingerprint of its training data. Images whose
per-layer batch statistics match them look, to T, like its training data. With T frozen,

    L_BN(x) = sum_l R_l(x),   R_l = || mu_l(x) - running_mean_l ||_2
                                  + || sigma_l^2(x) - running_var_l ||_2

is minimised over

  * the pixels of a batch x directly (`invert_pixels`): x <- x - lr * Adam(grad_x L_BN), or
  * the weights of a generator G with x = G(z), z ~ N(0, I) (`invert_generator`): the
    generator half of DDAD's objective (alpha = 1, beta = 0), without any student.

`layer_weights` ({layer name: w_l}) minimises sum_l w_l R_l instead: a layer it does not name
weighs 0 (None: every layer weighs 1, the kit's L_BN). Both return an `InversionResult`: the
(weighted) BN loss at every iteration and the images (uint8, as the
engine's snapshots store them) at recorded iterations, ready for `viz.frames_figure` or
`viz.frame_browser`. T is used as the engine uses it: eval mode, no parameter gradients; the
hooks are removed before returning. `progress=True` shows a progress bar (tqdm: a widget in
a notebook, text in a terminal) with the current L_BN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from ..data import dataset_info, denormalize
from ..errors import UserError
from ..losses import BNStatistics
from ..models import build, freeze
from .exercises import NotYet, exercise


@dataclass
class InversionResult:
    losses: list = field(default_factory=list)        # (weighted) L_BN at every iteration
    iterations: list = field(default_factory=list)    # iterations at which frames were kept
    frames: list = field(default_factory=list)        # uint8 (N, C, H, W) per kept iteration
    per_layer_start: dict = field(default_factory=dict)  # R_l at the first iteration
    per_layer_end: dict = field(default_factory=dict)    # R_l after the last update
    x: torch.Tensor | None = None                      # the final batch (normalised)
    generator: nn.Module | None = None                 # the trained G (invert_generator)
    layer_weights: dict | None = None                  # w_l of the loss (None: all 1)


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
                  seed: int = 0, device="cpu", layer_weights: dict | None = None,
                  progress: bool = False) -> InversionResult:
    """Optimise a batch of pixels x (from N(0, I)) against L_BN alone (or sum_l w_l R_l)."""
    info = dataset_info(dataset)
    device = torch.device(device)
    torch.manual_seed(seed)
    x = torch.randn(batch_size, info.channels, info.image_size, info.image_size,
                    device=device, requires_grad=True)
    return _minimise_bn(teacher, [x], synthesise=lambda: x, frame=lambda: to_uint8(x, info),
                        lr=lr, iterations=iterations, record_every=record_every,
                        device=device, layer_weights=layer_weights,
                        progress="pixel inversion" if progress else None)


def invert_generator(teacher: nn.Module, *, dataset: str = "shapes",
                     generator: str = "generator_a", nz: int = 128, ngf: int = 32,
                     batch_size: int = 64, iterations: int = 200, lr: float = 1e-2,
                     record_every: int = 20, frame_size: int = 32, seed: int = 0,
                     device="cpu", layer_weights: dict | None = None,
                     progress: bool = False) -> InversionResult:
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
        lr=lr, iterations=iterations, record_every=record_every, device=device,
        layer_weights=layer_weights, progress="generator inversion" if progress else None)
    result.generator = G
    return result


def weighted_bn_loss(bn: BNStatistics, layer_weights: dict | None) -> torch.Tensor:
    """sum_l w_l R_l of the last forward pass (None: `bn.loss()`, every w_l = 1)."""
    if layer_weights is None:
        return bn.loss()
    names = [h.name for h in bn.hooks]
    unknown = sorted(set(layer_weights) - set(names))
    if unknown:
        raise UserError(f"layer_weights names no BatchNorm layer {unknown[0]!r}; the layers "
                        f"are {', '.join(names)}")
    terms = [layer_weights[h.name] * h.loss for h in bn.hooks if layer_weights.get(h.name)]
    if not terms:
        raise UserError("layer_weights gives every layer weight 0: name at least one layer "
                        "with a non-zero weight")
    return torch.stack(terms).sum()


def _minimise_bn(teacher, parameters, *, synthesise, frame, lr, iterations, record_every,
                 device, layer_weights=None, progress: str | None = None) -> InversionResult:
    """The loop both inversions share: x = synthesise(), sum_l w_l R_l(T, x), one Adam step
    on `parameters`, for `iterations` steps. `frame()` (drawn with T's hooks off, so it never
    counts in the loss) is kept every `record_every` iterations and at the end. `progress`:
    the title of a progress bar, or None for none."""
    T = freeze(teacher).to(device)
    opt = torch.optim.Adam(parameters, lr=lr)
    bn = BNStatistics(T)
    result = InversionResult(layer_weights=None if layer_weights is None
                             else dict(layer_weights))
    bar = tqdm(total=iterations, desc=progress, disable=progress is None, leave=True)
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
            loss = weighted_bn_loss(bn, layer_weights)
            result.losses.append(float(loss.detach()))
            if i == 0:
                result.per_layer_start = bn.per_layer()
            if i == iterations:
                result.per_layer_end = bn.per_layer()
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            bar.update(1)
            bar.set_postfix(L_BN=f"{result.losses[-1]:.3g}", refresh=False)
    finally:
        bar.close()
        bn.remove()
    result.x = x.detach()
    return result


# ---- the checks of notebook 02's exercises (lessons/exercises.py) ---------------------------
@exercise("02", 1)
def _one_layer_inversion(answer) -> str:
    """An InversionResult of an inversion that weighs some BN layers only."""
    if not isinstance(answer, InversionResult) or not answer.losses:
        raise NotYet("give the InversionResult of invert_pixels(..., layer_weights={...})")
    weights = answer.layer_weights or {}
    chosen = [n for n, w in weights.items() if w]
    others = [n for n in answer.per_layer_start if n not in chosen]
    if not chosen or not others:
        raise NotYet("weigh some layers and leave the others at 0, e.g. layer_weights="
                     "{first_layer: 1.0}")
    if not all(answer.per_layer_end[n] < answer.per_layer_start[n] for n in chosen):
        raise NotYet("the weighted layers' R_l did not fall: more iterations or a larger lr")
    start = sum(answer.per_layer_start[n] for n in others)
    end = sum(answer.per_layer_end[n] for n in others)
    return (f"R_l of {', '.join(chosen)}: {sum(answer.per_layer_start[n] for n in chosen):.3g}"
            f" -> {sum(answer.per_layer_end[n] for n in chosen):.3g}; the {len(others)} "
            f"unweighted layers: {start:.3g} -> {end:.3g} (nothing asked them to match)")


@exercise("02", 2)
def _floor_by_batch_size(answer) -> str:
    """{batch size: L_BN of that many real training images} over at least three sizes."""
    if not isinstance(answer, dict) or len(answer) < 3:
        raise NotYet("give a dict {batch size: L_BN of real training images}, 3 sizes or more")
    sizes = sorted(answer)
    if not all(float(answer[n]) > 0 for n in sizes):
        raise NotYet("every L_BN is a sum of norms: positive")
    if not float(answer[sizes[-1]]) < float(answer[sizes[0]]):
        raise NotYet(f"L_BN at batch {sizes[-1]} should be below batch {sizes[0]}'s: are the "
                     "images real training images, one batch each?")
    return (f"the floor falls with the batch size ({sizes[0]}: {float(answer[sizes[0]]):.3g}, "
            f"{sizes[-1]}: {float(answer[sizes[-1]]):.3g}) but not to 0: the running "
            "statistics are moving averages taken while the weights changed")


@exercise("02", 3)
def _generator_class_counts(answer) -> str:
    """T's predicted-class counts over 512 generated images (one count per class)."""
    counts = torch.as_tensor(answer).flatten() if answer is not None else None
    if counts is None or counts.numel() < 2 or int(counts.sum()) != 512:
        raise NotYet("give the count of each class T predicts over 512 images "
                     "(torch.bincount(pred, minlength=C)); they sum to 512")
    p = counts.float() / 512
    effective = float(torch.exp(-(p[p > 0] * p[p > 0].log()).sum()))
    return (f"{effective:.1f} effective classes of {counts.numel()}; the most frequent class "
            f"takes {float(p.max()):.0%} of the images")
