"""Methods as recipes on one engine: given T, S and G, how x is made and how L_G and L_S are.

One file per method; the engine (engine.py) runs them all through the hooks of `Method`
(base.py):

    ddad, dfad, bn_only   adversarial.py   L_G = alpha * L_BN - beta * D(S(x), T(x))
    dafl                  dafl.py          L_G from teacher priors (one-hot, activation, entropy)
    deepinv               deepinversion.py pixels optimised against BN statistics + image priors
    adv_fc                adversarial_fc.py DDAD's L_G + an FC discriminator on outputs in L_S
    M+replay              replay.py        any method, with a VAE replaying past samples

`build_method(cfg)` returns the method of `cfg.method`, wrapped in `PseudoReplay` when the
name ends in "+replay". The method names and their default settings are in
`config.METHOD_SETTINGS`.
"""

from __future__ import annotations

from ..config import DistillConfig, check_method
from ..errors import unknown_name
from .adversarial import AdversarialMethod
from .adversarial_fc import AdversarialFC
from .base import Method, no_param_grad
from .dafl import DAFL
from .deepinversion import DeepInversion
from .replay import PseudoReplay

METHODS: dict[str, type[Method]] = {
    "ddad": AdversarialMethod,
    "dfad": AdversarialMethod,
    "bn_only": AdversarialMethod,
    "dafl": DAFL,
    "deepinv": DeepInversion,
    "adv_fc": AdversarialFC,
}

# Wrappers that combine with any method, by the suffix after "+".
SUFFIXES: dict[str, type] = {"replay": PseudoReplay}


def available_methods(*, with_suffixes: bool = False) -> list[str]:
    """The method names; with `with_suffixes`, also every "method+suffix" combination."""
    names = sorted(METHODS)
    if with_suffixes:
        names += [f"{m}+{s}" for m in sorted(METHODS) for s in SUFFIXES]
    return names


def build_method(cfg: DistillConfig) -> Method:
    """The method object for `cfg.method` (its settings are already in cfg)."""
    base, *suffixes = cfg.method.split("+")
    if base not in METHODS:
        raise unknown_name("method", cfg.method, METHODS)
    check_method(cfg.method)
    method = METHODS[base](cfg)
    for suffix in suffixes:
        method = SUFFIXES[suffix](cfg, method)
    return method


__all__ = ["METHODS", "SUFFIXES", "AdversarialFC", "AdversarialMethod", "DAFL",
           "DeepInversion", "Method", "PseudoReplay", "available_methods", "build_method",
           "no_param_grad"]
