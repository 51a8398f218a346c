"""A teacher of one's own, from a file: `distill --teacher-file PATH [--teacher NAME]`.

Three kinds of file load, each checked before anything is written:
- a state dict (`torch.save(model.state_dict(), path)`, bare, under `state_dict`, or with
  DataParallel's `module.` prefix; DFAD's published layouts too) for the architecture named by
  `--teacher` (a kit model, `torchvision:NAME` or `timm:NAME`; default: the recipe's), built
  for the dataset's classes and channels. Only tensors are read (`weights_only`);
- TorchScript (`torch.jit.save`): the architecture travels in the file;
- a whole pickled module (`torch.save(model, path)`): unpickling can run any code the file
  holds, so it loads only with `--trust-pickle`.

Then the teacher must be a classifier of the dataset: a batch of two images at the dataset's
size gives logits of shape (2, classes), or the error says what it gave. Its record (file,
sha256 of the file and of the weights, how it was read) goes into metrics.json; its accuracy
is measured by the run on the test split (`teacher_acc`).
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import torch
import torch.nn as nn

from ..config import TeacherConfig
from ..data import dataset_info
from ..errors import UserError
from ..files import sha256_file
from .training import load_teacher_file, weights_digest


def load_user_teacher(path, recipe: TeacherConfig, *, trust_pickle: bool = False):
    """(teacher in eval mode, record) from `path`; one-line `UserError` for a file that is
    missing, of another architecture, pickled without `trust_pickle`, or not a classifier of
    the dataset."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"--teacher-file {path}: no such file")
    if _is_torchscript(path):
        kind = "torchscript"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # torch 2.14 deprecates it
                model = torch.jit.load(str(path), map_location="cpu")
        except Exception as e:  # torch raises many kinds for a damaged archive
            raise UserError(f"--teacher-file {path} looks like TorchScript but does not load "
                            f"({_first_line(e)}); save it again with torch.jit.save") from None
    else:
        state = _load_weights_or_pickle(path, trust_pickle=trust_pickle)
        if isinstance(state, nn.Module):
            kind, model = "pickled module", state
        else:
            kind = "state dict"
            model, _ = load_teacher_file(path, recipe)
    check_classifier(model, recipe.dataset, what=f"--teacher-file {path}")
    model = model.eval()
    return model, {"path": str(path), "file": str(path.resolve()), "file_kind": kind,
                   "sha256": sha256_file(path), "weights_sha256": weights_digest(model),
                   "accuracy": None, "trained_now": False,
                   "architecture": recipe.model if kind == "state dict" else kind}


def check_classifier(model: nn.Module, dataset: str, *, what: str = "the teacher") -> None:
    """A one-line `UserError` unless `model` maps two images of `dataset` to (2, classes)
    logits."""
    info = dataset_info(dataset)
    if info.task != "classification":
        return
    x = torch.zeros(2, info.channels, info.image_size, info.image_size)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as e:  # any error of a foreign model on the dataset's images
        raise UserError(f"{what} fails on the dataset's {info.channels}x{info.image_size}x"
                        f"{info.image_size} images ({_first_line(e)}); it must take "
                        f"{dataset}'s normalised images") from None
    finally:
        model.train(was_training)
    shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
    if shape != (2, info.num_classes):
        raise UserError(f"{what} gives outputs of shape {shape} for 2 images, expected "
                        f"(2, {info.num_classes}): it must be a classifier of {dataset}'s "
                        f"{info.num_classes} classes returning logits")


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives hold the model's code (`*/code/`); torch.save files do not."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any("/code/" in name for name in z.namelist())


def _load_weights_or_pickle(path: Path, *, trust_pickle: bool):
    """Tensors and plain data; a pickled object (e.g. a whole module) only if trusted."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged or pickled file
        refused = "global" in str(e).lower()  # weights_only met a class: a pickled object
        if not (refused and _looks_like_torch_file(path)):
            reason = f" ({_first_line(e)})" if _looks_like_torch_file(path) else ""
            raise UserError(f"--teacher-file {path} is corrupted or not a torch file{reason}; "
                            f"save the teacher with torch.save(model.state_dict(), path)"
                            ) from None
    if not trust_pickle:
        raise UserError(f"--teacher-file {path} holds a pickled object (e.g. a whole module), "
                        f"and unpickling can run code: pass --trust-pickle if you trust it, "
                        f"or save torch.save(model.state_dict(), path) instead")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # the pickle names a class this Python cannot import, etc.
        raise UserError(f"--teacher-file {path} does not unpickle here ({_first_line(e)}); "
                        f"import its model's module first, or save its state_dict") from None
    if not isinstance(obj, nn.Module):
        raise UserError(f"--teacher-file {path} unpickles to a {type(obj).__name__}, not a "
                        f"module; save torch.save(model.state_dict(), path) instead")
    return obj


def _looks_like_torch_file(path: Path) -> bool:
    """torch.save's zip archive, or a legacy pickle (protocol 2 or later)."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:120] if text else type(e).__name__
