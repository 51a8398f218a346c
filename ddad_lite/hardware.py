"""What the device does fast: decides `amp="auto"`, picks fused optimiser kernels and compiles
models in place.

Mixed precision pays only where the hardware computes in the lower precision natively;
elsewhere it is emulated and slower than fp32 (docs/speed.md). `amp="auto"` therefore picks:

  bfloat16  CUDA GPUs of compute capability 8.0 or more (Ampere on), and CPUs with
            AVX512-BF16 or AMX (oneDNN reports this). Not `torch.cuda.is_bf16_supported()`:
            it also counts GPUs that only emulate bf16 (a T4 or V100).
  float16   CUDA GPUs of compute capability 7.x (Volta, Turing: T4, V100), whose tensor cores
            are fast in fp16 only; fp16's narrow range needs a gradient scaler (the engine
            keeps a `torch.amp.GradScaler` per optimiser then).
  nothing   everywhere else (fp32).

`amp=True` (or "bf16") asks for bfloat16 and "fp16" for float16 whatever the device; `False`
for fp32. The choice is recorded in every run's metrics.json (`amp_dtype`).
"""

from __future__ import annotations

import functools

import torch
import torch.nn as nn

BF16_MIN_CAPABILITY = (8, 0)  # Ampere: bf16 tensor cores
FP16_MIN_CAPABILITY = (7, 0)  # Volta: fp16 tensor cores
NAMED_DTYPES = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
                "float16": torch.float16}


def cuda_capability() -> tuple[int, int] | None:
    """The current CUDA device's compute capability, None without CUDA."""
    if not torch.cuda.is_available():
        return None
    return tuple(torch.cuda.get_device_capability())


def cpu_bf16_is_native() -> bool:
    """True when oneDNN reports native bf16 on this CPU (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # older torch or no oneDNN
        return False


@functools.lru_cache(maxsize=None)
def bf16_is_native(device_type: str) -> bool:
    """True when bfloat16 matrix work is native on this kind of device."""
    if device_type == "cuda":
        capability = cuda_capability()
        return capability is not None and cuda_bf16_is_native(capability)
    if device_type == "cpu":
        return cpu_bf16_is_native()
    return False


def cuda_bf16_is_native(capability: tuple[int, int]) -> bool:
    """True for a CUDA compute capability with bf16 tensor cores (Ampere, 8.0, and later)."""
    return tuple(capability) >= BF16_MIN_CAPABILITY


def notebook_device() -> str:
    """The device a notebook on a hosted machine (Colab, Binder) should use: "cuda" when a
    GPU is there, else "cpu". `amp="auto"` then picks bf16 only where it is native, so a T4
    runs fp16 with a gradient scaler, never emulated bf16."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def describe_device(device: str) -> str:
    """One line: the device, its name and the autocast amp="auto" picks there."""
    kind = torch.device(device).type
    name = torch.cuda.get_device_name() if kind == "cuda" else "CPU"
    dtype = amp_dtype("auto", device)
    precision = {torch.bfloat16: "bf16 autocast (native)",
                 torch.float16: "fp16 autocast with a gradient scaler"}.get(dtype, "fp32")
    return f"device {device} ({name}): {precision}"


@functools.lru_cache(maxsize=None)
def fp16_is_fast(device_type: str) -> bool:
    """True when float16 matrix work runs on tensor cores (CUDA, compute capability >= 7.0)."""
    capability = cuda_capability() if device_type == "cuda" else None
    return capability is not None and capability >= FP16_MIN_CAPABILITY


def amp_dtype(amp: bool | str, device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype of `amp` on `device` (None: fp32); see the module docstring."""
    device_type = torch.device(device).type
    if amp == "auto":
        if bf16_is_native(device_type):
            return torch.bfloat16
        return torch.float16 if fp16_is_fast(device_type) else None
    if isinstance(amp, bool):
        return torch.bfloat16 if amp else None
    if isinstance(amp, str) and amp.lower() in NAMED_DTYPES:
        return NAMED_DTYPES[amp.lower()]
    raise ValueError(f"amp must be True, False, 'auto', 'bf16' or 'fp16', not {amp!r}")


def resolve_amp(amp: bool | str, device: torch.device | str) -> bool:
    """Whether `amp` means bfloat16 autocast on `device` (teacher training and evaluation use
    bf16 only: where `amp="auto"` picks fp16 they run in fp32)."""
    return amp_dtype(amp, device) == torch.bfloat16


def grad_scaler(device: torch.device | str, dtype: torch.dtype | None) -> torch.amp.GradScaler:
    """fp16's gradient scaler; disabled (every call passes straight through) for any other."""
    return torch.amp.GradScaler(torch.device(device).type, enabled=dtype == torch.float16)


def scaled_step(scaler: torch.amp.GradScaler, losses, optimizers) -> None:
    """Backward of each loss, then a step of each optimiser, then one scale update. Through an
    enabled scaler: losses are scaled up, gradients unscaled before the step, and a step whose
    gradients hold inf or nan is skipped (the scale shrinks); disabled: plain backward, step."""
    for loss in losses if isinstance(losses, (list, tuple)) else [losses]:
        scaler.scale(loss).backward()
    for optimizer in optimizers if isinstance(optimizers, (list, tuple)) else [optimizers]:
        scaler.step(optimizer)
    scaler.update()


def optimizer_options(device: torch.device, optimizer_class, *, scaled: bool = False) -> dict:
    """Keyword arguments for the fastest implementation of `optimizer_class` on `device`:
    fused (one kernel for all parameters: CUDA, and CPU from torch 2.4) or else foreach
    (batched tensor ops). Both compute the same update as the per-parameter loop. `scaled`
    (steps through an enabled GradScaler): foreach, never fused (see optimizers.py)."""
    if scaled:
        return {"foreach": True}
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
