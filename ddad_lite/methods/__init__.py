"""Every method of the kit, in one table: the code that runs it and the settings that make it.

A method is a `Method` class (base.py) with its own `Settings` dataclass and its own
iteration, and a row below that names it and fills its settings. Several rows may share one
class: DDAD, DFAD, BN-only and the DFQ-like mix are all `DDAD` (ddad.py) with other weights of
its generator loss, and DAFL's class adds its joint loop to the same loss (dafl.py).

    name      class           generator side                     student side
    ddad      DDAD            bn L_BN - adversarial D(S, T)       D(S(x), T(x))
    dfad      DDAD            -D(S, T) (bn fixed at 0)            D(S(x), T(x))
    bn_only   DDAD            L_BN (adversarial fixed at 0)       D(S(x), T(x))
    dafl      DAFL            one-hot + activation + entropy      KL, joint loop
              (DAFL's weights per dataset in recipes.py; log10 entropy; G's lr constant)
    dfq_like  DDAD            L_BN - D(S, T) + one-hot + entropy  D(S(x), T(x))
    deepinv   DeepInversion   pixels: L_BN + CE + TV (+ l2)       KL on a pool
    adi       DeepInversion   deepinv's + competition 1 - JS(S,T)  KL on a pool
    adv_fc    AdversarialFC   as ddad                             D + FC discriminator
    M+replay  PseudoReplay (extension) any method M, with a VAE replaying past samples
    M+buffer  ReplayBuffer (extension) any method M, with stored past samples replayed
              the same way (as many bytes as the VAE by default: the fair baseline)

Two rows are bounds, not methods (bounds.py; `MethodRow.bound` says which): they train the
same student on the same budget from another source of x, and `available_methods()` leaves
them out unless asked (`bounds=True`):

    kd_real_data      RealDataKD       (none: real training images)       D(S(x), T(x))
                      upper bound: it uses the data a data-free method may not see
    random_generator  RandomGenerator  G frozen at its initialisation      D(S(x), T(x))
                      lower bound: a generator that learnt nothing

A row's `fixed` settings define the method (DFAD has no BN term): changing one is refused in
one line naming the method that has it, never silently relabelled; `nonzero` settings must
stay on. `run_defaults` are schedule settings the method implies (DAFL's joint loop makes one
student step per iteration, and its G's lr is never scheduled). `register_method` adds a row
at run time (a test or a notebook can add a method without editing this file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import DistillConfig
from ..errors import UserError, unknown_name
from .adversarial_fc import AdversarialFC
from .base import Engine, KDSettings, Method, Nets, Optimizers, detached, no_param_grad
from .bounds import RandomGenerator, RealDataKD
from .buffer import ReplayBuffer
from .dafl import DAFL
from .ddad import DDAD
from .deepinversion import DeepInversion
from .replay import PseudoReplay


@dataclass(frozen=True)
class MethodRow:
    """One method: its class, the settings it sets, and what defines it."""

    method: type[Method]
    settings: dict = field(default_factory=dict)  # over the class's Settings defaults
    fixed: tuple[str, ...] = ()  # settings a user may not change (they define the method)
    nonzero: tuple[str, ...] = ()  # weights the method needs switched on
    run_defaults: dict = field(default_factory=dict)  # DistillConfig fields it implies
    summary: str = ""
    bound: str = ""  # "upper" or "lower": a bound to read methods against, not a method


METHODS: dict[str, MethodRow] = {
    "ddad": MethodRow(DDAD, dict(bn=1.0, adversarial=1.0),
                      nonzero=("bn", "adversarial"),
                      summary="both discriminators: the teacher's BN statistics and the "
                              "student's disagreement (the kit's defaults: weights 1, L1)"),
    "dfad": MethodRow(DDAD, dict(adversarial=1.0), fixed=("bn",),
                      nonzero=("adversarial",),
                      summary="adversarial only: G maximises D(S(x), T(x))"),
    "bn_only": MethodRow(DDAD, dict(bn=1.0), fixed=("adversarial",),
                         nonzero=("bn",),
                         summary="the teacher's BN statistics only (the ablation's other half)"),
    # DAFL's code (huawei-noah/Efficient-Computing, Data-Efficient-Model-Compression/DAFL/
    # DAFL-train.py): its argparse defaults (MNIST's weights, lines 40-42), log10 in L_ie
    # (line 179), KL KD at temperature 1 (lines 97-101), the joint loop (lines 168-185), G's
    # lr never scheduled. Per-dataset weights, optimisers and schedules: recipes.py.
    "dafl": MethodRow(DAFL,
                      dict(onehot=1.0, activation=0.1, entropy=5.0, entropy_log_base=10.0,
                           discrepancy="kl", loop="joint"),
                      fixed=("bn", "adversarial"),
                      run_defaults=dict(student_steps=1, schedule_generator=False),
                      summary="teacher priors only (one-hot, activation, entropy); G and S "
                              "updated together once per iteration"),
    "dfq_like": MethodRow(DDAD,
                          dict(bn=1.0, adversarial=1.0, onehot=1.0, entropy=1.0),
                          nonzero=("bn", "adversarial"),
                          summary="the kit's mix in the spirit of DFQ: BN statistics, "
                                  "disagreement and teacher priors (weights are the kit's)"),
    "deepinv": MethodRow(DeepInversion, dict(discrepancy="kl"), fixed=("competition",),
                         nonzero=("bn",),
                         summary="pixels optimised against BN statistics and image priors "
                                 "(NVlabs' CIFAR-10 script by default)"),
    # Adaptive DeepInversion: NVlabs' README, "Value 0.2 was used in the paper" (adi_scale).
    "adi": MethodRow(DeepInversion, dict(discrepancy="kl", competition=0.2),
                     nonzero=("bn", "competition"),
                     summary="DeepInversion plus Adaptive DeepInversion's competition: x "
                             "also where S and T disagree (1 - JS at tau 3)"),
    "adv_fc": MethodRow(AdversarialFC, dict(bn=1.0, adversarial=1.0),
                        nonzero=("bn", "adversarial"),
                        summary="DDAD's generator; an FC discriminator on outputs joins L_S "
                                "(the kit's interpretation of Adversarial*)"),
    # Bounds, not methods (bounds.py): the same student, loss and budget.
    "kd_real_data": MethodRow(RealDataKD, bound="upper",
                              summary="BOUND, uses real data: S distilled on the teacher's "
                                      "real training images (not a data-free method)"),
    "random_generator": MethodRow(RandomGenerator, bound="lower",
                                  summary="BOUND: S distilled on the images of a generator "
                                          "frozen at its initialisation"),
}

# Extensions combine with any method, by the suffix after "+" (e.g. "ddad+replay").
EXTENSIONS: dict[str, MethodRow] = {
    "replay": MethodRow(PseudoReplay, summary="a VAE replays past synthetic images"),
    "buffer": MethodRow(ReplayBuffer, summary="a buffer of past synthetic images, as many "
                                              "bytes as the VAE, replays them"),
}


def register_method(name: str, method: type[Method], **row) -> MethodRow:
    """Add (or replace) a method row; `row` as MethodRow's fields. Returns the row."""
    if "+" in name:
        raise UserError(f"a method name cannot contain '+' ({name!r})")
    METHODS[name] = MethodRow(method, **row)
    return METHODS[name]


def split_method(method: str) -> tuple[str, list[str]]:
    """("ddad", ["replay"]) for "ddad+replay"; a one-line error for an unknown part."""
    base, *extensions = method.split("+")
    if base not in METHODS or any(e not in EXTENSIONS for e in extensions):
        raise unknown_name("method", method, available_methods(with_extensions=True,
                                                               bounds=True))
    if extensions and METHODS[base].bound:
        raise UserError(f"{base} is a bound, not a method: it takes no extension "
                        f"(+{extensions[0]}); run it alone")
    return base, extensions


def components(method: str) -> list[tuple[str, MethodRow]]:
    """The (name, row) of each part of a method name, the base method first."""
    base, extensions = split_method(method)
    return [(base, METHODS[base])] + [(e, EXTENSIONS[e]) for e in extensions]


def available_methods(*, with_extensions: bool = False, bounds: bool = False) -> list[str]:
    """The method names; with `with_extensions`, also every "method+extension"; with
    `bounds`, also the bounds (kd_real_data, random_generator), which take no extension."""
    methods = sorted(m for m, row in METHODS.items() if not row.bound)
    names = list(methods)
    if with_extensions:
        names += [f"{m}+{e}" for m in methods for e in EXTENSIONS]
    if bounds:
        names += sorted(m for m, row in METHODS.items() if row.bound)
    return names


def build_method(cfg: DistillConfig) -> Method:
    """The method object for `cfg.method`, its settings read from `cfg.method_settings`."""
    (base, row), *extensions = components(cfg.method)
    method = row.method(cfg, name=base)
    for _, ext in extensions:
        method = ext.method(cfg, method)
    return method


__all__ = ["DAFL", "DDAD", "EXTENSIONS", "METHODS", "AdversarialFC", "DeepInversion", "Engine",
           "KDSettings", "Method", "MethodRow", "Nets", "Optimizers", "PseudoReplay",
           "RandomGenerator", "RealDataKD", "ReplayBuffer",
           "available_methods", "build_method", "components", "detached", "no_param_grad",
           "register_method", "split_method"]
