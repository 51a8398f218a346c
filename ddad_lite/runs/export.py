"""A run's student, exported, reloaded and checked: `export RUN --to student.pt|.ts|.onnx`.

The format follows the file name's suffix:
  .pt / .pth   the student's state dict (`torch.save(model.state_dict())`), for the
               architecture the run names (`student`, e.g. `convnet_student`, built for the
               dataset's classes with `models.build`);
  .ts          TorchScript (traced on a batch of the dataset's size): loads without the kit;
  .onnx        ONNX (opset 17, a dynamic batch), where the `onnx` extra is installed
               (`onnx` and `onnxruntime`); a missing one is a one-line error naming it.

Every export is written to a temporary file first, loaded back from it (a fresh model for the
state dict, `torch.jit.load`, an onnxruntime session) and run on a fixed batch of random
normalised images; the file takes its name only if the outputs agree with the student's
(largest absolute difference within `TOLERANCE`), so a bad export leaves nothing behind.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import tempfile
import warnings
from pathlib import Path

import torch

from ..data import dataset_info
from ..errors import UserError
from ..files import publish_mode
from ..models import build
from .student import load_student

FORMATS = {".pt": "state dict", ".pth": "state dict", ".ts": "torchscript", ".onnx": "onnx"}
TOLERANCE = 1e-4


def export_student(run_dir, to, *, data_root=None) -> dict:
    """Write the run's student to `to` in the format its suffix names; what was checked."""
    to = Path(to)
    kind = FORMATS.get(to.suffix.lower())
    if kind is None:
        raise UserError(f"--to {to}: name a file ending in {', '.join(FORMATS)} (state dict, "
                        f"TorchScript or ONNX)")
    if kind == "onnx":
        _require_onnx()
    student, cfg = load_student(run_dir, data_root=data_root)
    info = dataset_info(cfg.dataset, cfg.data_root)
    x = torch.randn(4, info.channels, info.image_size, info.image_size,
                    generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = student(x)

    def rebuild():
        return build(cfg.student, num_classes=info.num_classes, channels=info.channels,
                     **cfg.student_kwargs)

    to.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=to.parent, prefix=f".{to.name}.", suffix=to.suffix)
    os.close(fd)
    try:
        got = WRITERS[kind](student, x, tmp, rebuild)
        diff = (got - expected).abs().max().item()
        if not diff <= TOLERANCE:
            raise UserError(f"the exported {kind} gives outputs up to {diff:.2e} away from the "
                            f"student's (tolerance {TOLERANCE}); nothing was written")
        publish_mode(tmp)
        os.replace(tmp, to)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return {"run": str(run_dir), "to": str(to), "format": kind, "student": cfg.student,
            "num_classes": info.num_classes,
            "input": [None, info.channels, info.image_size, info.image_size],
            "mean": list(info.mean), "std": list(info.std),
            "max_abs_difference": diff}


def _state_dict(student, x, path, rebuild):
    torch.save({k: v.detach().cpu() for k, v in student.state_dict().items()}, path)
    model = rebuild()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    with torch.no_grad():
        return model.eval()(x)


def _torchscript(student, x, path, rebuild):
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch 2.14 deprecates TorchScript
        traced = torch.jit.trace(student, x[:2])
        traced.save(path)
        loaded = torch.jit.load(path, map_location="cpu")
        return loaded(x)


def _onnx(student, x, path, rebuild):
    import onnxruntime  # optional extra: onnx

    # The TorchScript-based exporter: the default from torch 2.9 is the dynamo one (which needs
    # onnxscript); before 2.5 the argument did not exist and that exporter was the only one.
    takes_dynamo = "dynamo" in inspect.signature(torch.onnx.export).parameters
    legacy = {"dynamo": False} if takes_dynamo else {}
    torch.onnx.export(student, (x[:2],), path, input_names=["images"],
                      output_names=["logits"], opset_version=17, **legacy,
                      dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return torch.from_numpy(session.run(None, {"images": x.numpy()})[0])


WRITERS = {"state dict": _state_dict, "torchscript": _torchscript, "onnx": _onnx}


def _require_onnx() -> None:
    missing = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"ONNX export needs {' and '.join(missing)}: pip install "
                        f"'ddad-lite[onnx]' (or pip install onnx onnxruntime)")
