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


# ---- amp="auto": bf16 where native, fp16 (with a scaler) where only fp16 is fast -------------
import torch  # noqa: E402

from ddad_lite import hardware  # noqa: E402


@pytest.fixture
def a_gpu(monkeypatch):
    """A pretend CUDA device whose compute capability the test sets; torch's own bf16 check
    says yes throughout (it counts emulation), so only the capability can decide."""
    capability = {"value": (8, 0)}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability["value"])
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)

    def set_capability(value):
        capability["value"] = value
        hardware.bf16_is_native.cache_clear()
        hardware.fp16_is_fast.cache_clear()

    yield set_capability
    hardware.bf16_is_native.cache_clear()
    hardware.fp16_is_fast.cache_clear()


@pytest.mark.parametrize("capability, expected", [
    ((9, 0), torch.bfloat16), ((8, 0), torch.bfloat16),  # H100, A100: native bf16
    ((7, 5), torch.float16), ((7, 0), torch.float16),    # T4, V100: bf16 emulated, fp16 fast
    ((6, 1), None),                                       # Pascal: neither pays
])
def test_auto_follows_the_cuda_capability_not_is_bf16_supported(a_gpu, capability, expected):
    a_gpu(capability)
    assert hardware.amp_dtype("auto", "cuda") == expected
    assert resolve_amp("auto", "cuda") is (expected == torch.bfloat16)  # bf16 users only


def test_auto_on_cpu_is_bf16_where_onednn_has_it_and_never_fp16(monkeypatch):
    for native, expected in ((True, torch.bfloat16), (False, None)):
        monkeypatch.setattr(hardware, "cpu_bf16_is_native", lambda native=native: native)
        hardware.bf16_is_native.cache_clear()
        assert hardware.amp_dtype("auto", "cpu") == expected
    hardware.bf16_is_native.cache_clear()


def test_explicit_dtypes_are_kept():
    assert hardware.amp_dtype(True, "cpu") == torch.bfloat16
    assert hardware.amp_dtype("fp16", "cpu") == torch.float16
    assert hardware.amp_dtype("bf16", "cuda") == torch.bfloat16
    assert hardware.amp_dtype(False, "cuda") is None


def _model_and_optimizer():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def test_an_enabled_scaler_takes_the_same_step_as_no_scaler():
    x = torch.randn(8, 4)
    plain, plain_opt = _model_and_optimizer()
    hardware.scaled_step(hardware.grad_scaler("cpu", None), plain(x).square().mean(), plain_opt)
    scaled, scaled_opt = _model_and_optimizer()
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, enabled=True)
    hardware.scaled_step(scaler, [scaled(x).square().mean()], [scaled_opt])
    assert not hardware.grad_scaler("cpu", None).is_enabled()
    for a, b in zip(plain.parameters(), scaled.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)  # gradients were unscaled before the step


def test_a_scaled_step_with_inf_gradients_is_skipped_and_the_scale_shrinks():
    model, optimizer = _model_and_optimizer()
    before = [p.detach().clone() for p in model.parameters()]
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, enabled=True)
    loss = model(torch.full((2, 4), float("inf"))).sum()
    hardware.scaled_step(scaler, loss, optimizer)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert scaler.get_scale() < 2.0 ** 10


def test_bf16_is_native_from_ampere_on_only():
    from ddad_lite.hardware import cuda_bf16_is_native, describe_device, notebook_device

    assert not cuda_bf16_is_native((7, 5))  # a Colab T4: emulated bf16 would be slower
    assert cuda_bf16_is_native((8, 0)) and cuda_bf16_is_native((9, 0))
    assert notebook_device() in ("cpu", "cuda")
    assert describe_device("cpu").startswith("device cpu (CPU): ")
