"""Models from other libraries by name: `torchvision:NAME` and `timm:NAME`.

    build("torchvision:resnet18", num_classes=10, channels=3)
    build("timm:vit_tiny_patch16_224", num_classes=10, img_size=32)   # needs the timm extra

The model is the library's own, untouched: its state dict has the library's key names, so a
file saved with `torch.save(model.state_dict(), path)` from the same constructor loads into
it as it is. No pretrained weights are fetched (`weights=None`, `pretrained=False`).

To read features as the kit's methods do (DAFL's activation term), the model gets the kit's
classifier interface by a subclass made on the fly (its class, with two methods added):
`forward_features(x)` is the input of the final classification layer (the pooled feature
vector) and `forward_head(f)` that layer applied to it. For torchvision the final layer is
found by name (`fc`, `classifier`, `head`, `heads`); for timm it is timm's own
`forward_head(..., pre_logits=True)` and `get_classifier()` (and `forward`, which timm
routes through those names, calls timm's own pair). A model where neither fits keeps
plain `forward` only, and a method that needs features says so in one line.
"""

from __future__ import annotations

import importlib.util

import torch.nn as nn

from ..config.overrides import closest
from ..errors import UserError

SOURCES = ("torchvision", "timm")
HEAD_NAMES = ("fc", "classifier", "head", "heads")


def is_external(name: str) -> bool:
    return ":" in name


def check_external(name: str) -> None:
    """A one-line `UserError` unless `name` is `torchvision:X` or `timm:X` with X known
    there (and timm installed for `timm:`)."""
    source, _, model = name.partition(":")
    if source not in SOURCES:
        raise UserError(f"unknown model source {source!r} in {name!r}; write torchvision:NAME, "
                        f"timm:NAME or one of the kit's models (no prefix)")
    if source == "torchvision":
        import torchvision  # import cost: torchvision (~1-5 s), for torchvision:NAME only

        known = torchvision.models.list_models(module=torchvision.models)
        if model not in known:
            raise UserError(f"torchvision has no classifier {model!r}{closest(model, known)}; "
                            "list them with python -c \"import torchvision; "
                            "print(torchvision.models.list_models(module=torchvision.models))\"")
    else:
        timm = _timm()
        if not timm.is_model(model):
            raise UserError(f"timm has no model {model!r}; list them with "
                            f"python -c \"import timm; print(timm.list_models('*{model[:4]}*'))\"")


def build_external(name: str, *, num_classes: int = 1000, channels: int = 3, **kwargs):
    """The library's model `name` (`source:model`) for `num_classes` classes and `channels`
    input channels, with the kit's classifier interface where its head can be found."""
    check_external(name)
    source, _, model_name = name.partition(":")
    if source == "torchvision":
        import torchvision  # import cost: torchvision (~1-5 s), for torchvision:NAME only

        if channels != 3:
            raise UserError(f"{name} takes 3-channel images, the dataset has {channels}; "
                            "use a kit model or a timm model (in_chans)")
        model = torchvision.models.get_model(model_name, weights=None,
                                             num_classes=num_classes, **kwargs)
        head = next((h for h in HEAD_NAMES if isinstance(getattr(model, h, None), nn.Module)),
                    None)
        return with_interface(model, _torchvision_interface(head)) if head else model
    model = _timm().create_model(model_name, pretrained=False, num_classes=num_classes,
                                 in_chans=channels, **kwargs)
    return with_interface(model, _timm_interface())


def with_interface(model: nn.Module, methods: dict) -> nn.Module:
    """`model` as an instance of a subclass of its class that adds `methods`; the state dict
    and the forward pass are unchanged."""
    base = type(model)
    cls = _SUBCLASSES.get(base)
    if cls is None:
        cls = _SUBCLASSES[base] = type(base.__name__, (base,), dict(methods))
    model.__class__ = cls
    return model


_SUBCLASSES: dict[type, type] = {}


def _torchvision_interface(head: str) -> dict:
    def forward_features(self, x):
        captured = []
        hook = getattr(self, head).register_forward_pre_hook(
            lambda _, args: captured.append(args[0]))
        try:
            type(self).__mro__[1].forward(self, x)
        finally:
            hook.remove()
        return captured[0]

    def forward_head(self, features):
        return getattr(self, head)(features)

    return {"forward_features": forward_features, "forward_head": forward_head}


def _timm_interface() -> dict:
    # timm's own forward calls self.forward_features/forward_head (with its own arguments), so
    # forward is pinned to timm's methods of the base class and the kit's pair added beside.
    def forward(self, x):
        base = type(self).__mro__[1]
        return base.forward_head(self, base.forward_features(self, x))

    def forward_features(self, x):
        base = type(self).__mro__[1]
        return base.forward_head(self, base.forward_features(self, x), pre_logits=True)

    def forward_head(self, features):
        return self.get_classifier()(features)

    return {"forward": forward, "forward_features": forward_features,
            "forward_head": forward_head}


def _timm():
    if importlib.util.find_spec("timm") is None:
        raise UserError("timm models need the timm extra: pip install 'ddad-lite[timm]' "
                        "(or pip install timm)")
    import timm  # optional extra: timm

    return timm
