"""Published checkpoints: DFAD's state-dict layouts mapped onto the kit's models.

DFAD (VainF/Data-Free-Adversarial-Distillation) saves `model.state_dict()` of its own model
definitions (`train_teacher.py`, line 132; `train_teacher_seg.py`, line 145). A published file
may also wrap it (`{"state_dict": ...}`, `{"model": ...}`) or prefix every key (`module.` from
DataParallel, `net.`). The kit's models hold the same tensors under other names:

- ResNet-8x (CIFAR): `conv1`, `bn1`, `layer<i>`, `linear`: the kit's names are the same;
- torchvision ResNet (Caltech101): `conv1`, ..., `fc` -> `net.conv1`, ..., `net.fc`;
- DeepLabV3-ResNet50: `backbone.conv1`, `backbone.bn1`, `backbone.layer<i>`, `classifier`
  -> `backbone.stem.0`, `backbone.stem.1`, `backbone.layers.<i-1>`, `head`;
- DeepLabV3-MobileNetV2: `backbone.features`, `classifier` -> `backbone.features`, `head`;
- LeNet-5 (and -half): `conv1`, `conv2`, `conv3`, `fc1`, `fc2` -> `features.0`,
  `features.3`, `features.6`, `fc.0`, `head`.

`adapt_state_dict(weights, model)` unwraps and strips prefixes, then tries each renaming
(none first) and keeps the one under which the file's keys are exactly the model's; the
tensors' shapes are checked when the model loads them. A file that fits under no renaming is
a `UserError` naming the keys that differ.
"""

from __future__ import annotations

import re

import torch.nn as nn

from ..errors import UserError

WRAPPERS = ("state_dict", "model", "model_state_dict", "net")
PREFIXES = ("module.", "net.", "model.")

# Each renaming: (pattern, replacement) rules applied in order to every key.
RENAMINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "as saved": (),
    "torchvision ResNet": ((r"^", "net."),),
    "DFAD DeepLabV3-ResNet50": ((r"^backbone\.conv1\.", "backbone.stem.0."),
                                (r"^backbone\.bn1\.", "backbone.stem.1."),
                                (r"^backbone\.layer([1-4])\.",
                                 lambda m: f"backbone.layers.{int(m.group(1)) - 1}."),
                                (r"^classifier\.", "head.")),
    "DFAD DeepLabV3-MobileNetV2": ((r"^classifier\.", "head."),),
    "DFAD LeNet-5": ((r"^conv1\.", "features.0."), (r"^conv2\.", "features.3."),
                     (r"^conv3\.", "features.6."), (r"^fc1\.", "fc.0."), (r"^fc2\.", "head.")),
}


def unwrap(weights) -> dict:
    """The bare state dict inside a published file, every key's DataParallel/wrapper prefix
    removed."""
    while isinstance(weights, dict) and len(weights) and not _is_state_dict(weights):
        inner = next((weights[k] for k in WRAPPERS if isinstance(weights.get(k), dict)), None)
        if inner is None:
            break
        weights = inner
    if not isinstance(weights, dict) or not _is_state_dict(weights):
        raise UserError("the file holds no state dict (a dict of tensors, bare or under "
                        "'state_dict'); save it with torch.save(model.state_dict(), path)")
    for prefix in PREFIXES:
        if all(k.startswith(prefix) for k in weights):
            weights = {k[len(prefix):]: v for k, v in weights.items()}
    return dict(weights)


def rename(weights: dict, rules) -> dict:
    out = {}
    for key, value in weights.items():
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key, count=1)
        out[key] = value
    return out


def adapt_state_dict(weights, model: nn.Module) -> tuple[dict, str]:
    """(state dict with the model's keys, name of the renaming used); `UserError` if none
    fits. Auxiliary heads the kit's models do not have (`aux_classifier.*`) are dropped."""
    weights = {k: v for k, v in unwrap(weights).items() if not k.startswith("aux_classifier.")}
    wanted = set(model.state_dict())
    best = None
    for name, rules in RENAMINGS.items():
        candidate = rename(weights, rules)
        missing, unexpected = wanted - set(candidate), set(candidate) - wanted
        if not missing and not unexpected:
            return candidate, name
        if best is None or len(missing) + len(unexpected) < best[0]:
            best = (len(missing) + len(unexpected), sorted(missing), sorted(unexpected))
    _, missing, unexpected = best
    raise UserError(f"the file's keys fit no known layout of {type(model).__name__}: "
                    f"{len(missing)} missing (e.g. {missing[:2]}), {len(unexpected)} unexpected "
                    f"(e.g. {unexpected[:2]})")


def load_published(model: nn.Module, weights) -> str:
    """Load a published state dict into `model` (every key used, every shape checked); returns
    the renaming used."""
    state, name = adapt_state_dict(weights, model)
    wanted = model.state_dict()
    for key, value in state.items():
        if tuple(value.shape) != tuple(wanted[key].shape):
            raise UserError(f"the file's {key} has shape {tuple(value.shape)}, the model's "
                            f"{tuple(wanted[key].shape)}: check the number of classes and "
                            f"the model's settings")
    model.load_state_dict(state, strict=True)
    return name


def _is_state_dict(d: dict) -> bool:
    return bool(d) and all(isinstance(k, str) and hasattr(v, "shape") for k, v in d.items())
