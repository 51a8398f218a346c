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
