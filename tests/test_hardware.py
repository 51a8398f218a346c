"""amp="auto" follows the device's native bf16 support; explicit choices are kept."""

import pytest

from ddad_lite.hardware import bf16_is_native, resolve_amp


def test_explicit_amp_is_kept_and_auto_follows_the_hardware():
    assert resolve_amp(True, "cpu") is True
    assert resolve_amp(False, "cpu") is False
    assert resolve_amp("auto", "cpu") is bf16_is_native("cpu")


def test_a_bad_amp_value_is_refused():
    with pytest.raises(ValueError, match="auto"):
        resolve_amp("yes", "cpu")


def test_bf16_is_native_from_ampere_on_only():
    from ddad_lite.hardware import cuda_bf16_is_native, describe_device, notebook_device

    assert not cuda_bf16_is_native((7, 5))  # a Colab T4: emulated bf16 would be slower
    assert cuda_bf16_is_native((8, 0)) and cuda_bf16_is_native((9, 0))
    assert notebook_device() in ("cpu", "cuda")
    assert describe_device("cpu").startswith("device cpu (CPU): ")
