"""What the device does fast: decides `amp="auto"`.

bfloat16 autocast pays off only where the hardware computes in bf16 natively: CUDA GPUs from
Ampere on, and CPUs with AVX512-BF16 or AMX (oneDNN reports this). Elsewhere bf16 is
emulated and slower than fp32 (docs/speed.md), so `amp="auto"` turns it on only there.
"""

from __future__ import annotations

import functools

import torch


@functools.lru_cache(maxsize=None)
def bf16_is_native(device_type: str) -> bool:
    """True when bfloat16 matrix work is native on this kind of device."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # older torch or no oneDNN
            return False
    return False


def resolve_amp(amp: bool | str, device: torch.device | str) -> bool:
    """`amp` as a bool: True/False as given, "auto" by `bf16_is_native`."""
    if amp == "auto":
        return bf16_is_native(torch.device(device).type)
    if isinstance(amp, bool):
        return amp
    raise ValueError(f"amp must be True, False or 'auto', not {amp!r}")
