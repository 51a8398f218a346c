"""Models by name: `build(name, **kwargs)`.

Classifiers follow one interface (after timm): `forward_features(x)` returns the pooled
feature vector, `forward_head(f)` the logits, and `forward(x)` both in sequence, so a method
can read features and logits alike. Generators take z of shape (B, nz) and return images.
Names with a library prefix, `torchvision:NAME` and `timm:NAME`, build that library's model
(`external.py`).
"""

from __future__ import annotations

import importlib
from typing import Callable

import torch.nn as nn

from ..errors import unknown_name
from .external import build_external, check_external

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
# One module per family; importing it registers its models.
_MODULES = ("resnet_cifar", "resnet_imagenet", "lenet", "convnet", "generators",
            "discriminators", "vae", "segmentation")


def register(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: register a model constructor under its function name."""
    _REGISTRY[fn.__name__] = fn
    return fn


def available_models() -> list[str]:
    _import_all()
    return sorted(_REGISTRY)


def model_family(name: str) -> str:
    """The module a model is defined in, e.g. "generators" or "resnet_cifar"."""
    if ":" in name:
        return "external"
    _import_all()
    if name not in _REGISTRY:
        raise unknown_name("model", name, _REGISTRY)
    return _REGISTRY[name].__module__.rsplit(".", 1)[-1]


def freeze(model: nn.Module) -> nn.Module:
    """Eval mode and no parameter gradients: how the teacher is used throughout."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def check_model_name(name: str) -> None:
    """A one-line `UserError` unless `name` can be built (before any work starts)."""
    if ":" in name:
        return check_external(name)
    _import_all()
    if name not in _REGISTRY:
        raise unknown_name("model", name, _REGISTRY)


def build(name: str, **kwargs) -> nn.Module:
    """Build the registered model `name`, e.g. `build("resnet34_8x", num_classes=10)`, or a
    library's (`build("torchvision:resnet18", num_classes=10)`)."""
    if ":" in name:
        return build_external(name, **kwargs)
    _import_all()
    if name not in _REGISTRY:
        raise unknown_name("model", name, _REGISTRY)
    return _REGISTRY[name](**kwargs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _import_all():
    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
