"""What the device does fast: decides `amp="auto"`, picks fused optimiser kernels and compiles
models in place.

bfloat16 autocast pays off only where the hardware computes in bf16 natively: CUDA GPUs from
Ampere on, and CPUs with AVX512-BF16 or AMX (oneDNN reports this). Elsewhere bf16 is
emulated and slower than fp32 (docs/speed.md), so `amp="auto"` turns it on only there.
"""

from __future__ import annotations

import functools

import torch
import torch.nn as nn


@functools.lru_cache(maxsize=None)
def bf16_is_native(device_type: str) -> bool:
    """True when bfloat16 matrix work is native on this kind of device."""
    if device_type == "cuda":
        # Compute capability 8.0 (Ampere) and later; `is_bf16_supported()` also says True
        # where bf16 is only emulated (a Colab T4, 7.5), which is slower than fp32.
        return torch.cuda.is_available() and cuda_bf16_is_native(
            torch.cuda.get_device_capability())
    if device_type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # older torch or no oneDNN
            return False
    return False


def cuda_bf16_is_native(capability: tuple[int, int]) -> bool:
    """True for a CUDA compute capability with bf16 tensor cores (Ampere, 8.0, and later)."""
    return tuple(capability) >= (8, 0)


def notebook_device() -> str:
    """The device a notebook on a hosted machine (Colab, Binder) should use: "cuda" when a
    GPU is there, else "cpu". `amp="auto"` then decides bf16 by `bf16_is_native`, so a T4
    runs in fp32, never in emulated bf16."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def describe_device(device: str) -> str:
    """One line: the device, its name and whether bf16 autocast is on under amp="auto"."""
    kind = torch.device(device).type
    name = torch.cuda.get_device_name() if kind == "cuda" else "CPU"
    precision = "bf16 autocast (native)" if bf16_is_native(kind) else "fp32 (bf16 not native)"
    return f"device {device} ({name}): {precision}"


def resolve_amp(amp: bool | str, device: torch.device | str) -> bool:
    """`amp` as a bool: True/False as given, "auto" by `bf16_is_native`."""
    if amp == "auto":
        return bf16_is_native(torch.device(device).type)
    if isinstance(amp, bool):
        return amp
    raise ValueError(f"amp must be True, False or 'auto', not {amp!r}")


def optimizer_options(device: torch.device, optimizer_class) -> dict:
    """Keyword arguments for the fastest implementation of `optimizer_class` on `device`:
    fused (one kernel for all parameters: CUDA, and CPU from torch 2.4) or else foreach
    (batched tensor ops). Both compute the same update as the per-parameter loop."""
    probe = torch.zeros(1, device=device, requires_grad=True)
    probe.grad = torch.zeros_like(probe)
    try:  # older torch versions lack the argument or raise for the device (here or in step)
        optimizer_class([probe], lr=0.1, fused=True).step()
        return {"fused": True}
    except (RuntimeError, TypeError, ValueError):
        return {"foreach": True}


def compile_in_place(model: nn.Module) -> nn.Module:
    """torch.compile a model without changing its identity or its state_dict keys."""
    if hasattr(model, "compile"):  # torch >= 2.2
        model.compile()
    else:
        model.forward = torch.compile(model.forward)
    return model
