"""Speed options: the ones that keep the arithmetic give the plain loop's result within float
rounding; AMP stays within a measured tolerance; the benchmark compares like with like.

Tolerances, and what was measured on the shapes smoke run (one iteration = k = 2 student steps
and one generator step, seed 0, torch 2.14 on an AVX-512 CPU):

    channels_last (fp32)   losses: relative 1.5e-6   student parameters: max |diff| 7.3e-6
    amp (bfloat16)         losses: relative 5.0e-3   student parameters: max |diff| 4.3e-4
                           |S_amp - S_fp32| / |S_fp32 - S_0| = 2.6e-2 (the size of the
                           difference against the size of the update itself)

The tests allow about ten times these. Later iterations drift further apart (after three,
channels_last's parameters differ by 5e-4 at most): the adversarial game amplifies rounding
differences, as any change of kernel would, so the comparisons are made after one iteration.
"""

import copy

import pytest
import torch
from conftest import smoke_config

from ddad_lite import bench
from ddad_lite.bench import ReferenceLoop, benchmark_config, build_distiller
from ddad_lite.engine import Distiller
from ddad_lite.hardware import optimizer_options

BENCH_KEYS = {"setting", "images_per_second", "seconds_per_iteration", "batch_size", "iters",
              "warmup", "k", "amp", "channels_last", "compile", "reference", "device",
              "device_name", "torch", "threads"}


def one_iteration(teacher, method="ddad", **overrides):
    d = Distiller(smoke_config(method, iterations=1, **overrides), copy.deepcopy(teacher))
    initial = [p.detach().clone() for p in d.S.parameters()]
    losses = {k: float(v) for k, v in d.train_iteration().items()}
    return d, initial, losses


def max_abs_difference(a, b):
    return max(float((p.detach() - q.detach()).abs().max()) for p, q in zip(a, b, strict=True))


def test_channels_last_keeps_the_arithmetic(shapes_teacher):
    teacher, _ = shapes_teacher
    plain, _, plain_losses = one_iteration(teacher)
    fast, _, fast_losses = one_iteration(teacher, channels_last=True)
    x = fast.G(fast.sample_z(4))
    assert x.is_contiguous(memory_format=torch.channels_last)  # the images too, not only weights
    for k in plain_losses:
        assert fast_losses[k] == pytest.approx(plain_losses[k], rel=2e-5), k
    assert max_abs_difference(fast.S.parameters(), plain.S.parameters()) < 1e-4


def test_amp_stays_within_the_measured_tolerance(shapes_teacher):
    teacher, _ = shapes_teacher
    plain, initial, plain_losses = one_iteration(teacher)
    amp, _, amp_losses = one_iteration(teacher, amp=True)
    for k in plain_losses:
        assert amp_losses[k] == pytest.approx(plain_losses[k], rel=5e-2), k
    S_amp, S_plain = list(amp.S.parameters()), list(plain.S.parameters())
    difference = max_abs_difference(S_amp, S_plain)
    assert 0 < difference < 5e-3  # > 0: autocast really ran in bfloat16
    with torch.no_grad():
        diff = sum(((p - q) ** 2).sum() for p, q in zip(S_amp, S_plain, strict=True)) ** 0.5
        update = sum(((q - p0) ** 2).sum() for q, p0 in zip(S_plain, initial, strict=True)) ** 0.5
    assert diff / update < 0.25


@pytest.mark.parametrize("optimizer_class, settings", [
    (torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=5e-4)),
    (torch.optim.Adam, dict(lr=1e-3)),
])
def test_fast_optimisers_make_the_same_update(optimizer_class, settings):
    torch.manual_seed(0)
    start = [torch.randn(5, 7), torch.randn(3)]
    grads = [[torch.randn_like(p) for p in start] for _ in range(3)]
    results = []
    for options in ({"foreach": False}, optimizer_options(torch.device("cpu"), optimizer_class)):
        params = [p.clone().requires_grad_(True) for p in start]
        opt = optimizer_class(params, **settings, **options)
        for g in grads:
            for p, gp in zip(params, g, strict=True):
                p.grad = gp.clone()
            opt.step()
        results.append(params)
    for plain, fast, before in zip(*results, start, strict=True):
        assert not torch.equal(plain.detach(), before)  # the steps did move the parameters
        torch.testing.assert_close(fast, plain, rtol=1e-6, atol=1e-7)


def test_student_steps_leave_teacher_and_generator_without_gradients(shapes_teacher):
    teacher, _ = shapes_teacher
    d = Distiller(smoke_config(iterations=1), copy.deepcopy(teacher))
    with torch.no_grad():
        x = d.G(d.sample_z())
    d.method.distil(d, x)  # one student step of DDAD's iteration
    assert all(p.grad is None for p in d.G.parameters())  # G ran without autograd
    assert all(p.grad is None for p in d.T.parameters())
    assert all(p.grad is not None for p in d.S.parameters())


def test_reference_loop_and_engine_compute_the_same_losses(shapes_teacher):
    # The plain loop (teacher with autograd and trainable parameters, gradients zeroed in
    # place, the generator step backpropagating into S and T) against the engine (no_grad
    # and frozen teacher, S's parameters excluded, fused/foreach optimisers), fp32.
    teacher, _ = shapes_teacher
    d = Distiller(smoke_config("dfad", iterations=2), copy.deepcopy(teacher))
    reference = ReferenceLoop(d)
    start = [p.detach().clone() for p in d.S.parameters()]
    for _ in range(2):
        engine_losses = {k: float(v) for k, v in d.train_iteration().items()}
        reference_losses = reference.iteration()
        for k in ("loss_S", "loss_G"):
            assert engine_losses[k] == pytest.approx(reference_losses[k], rel=1e-5), k
    # The two updates of S agree to rounding: their difference is a thousandth of the update.
    update = max_abs_difference(d.S.parameters(), start)
    assert update > 0
    assert max_abs_difference(d.S.parameters(), reference.S.parameters()) < 1e-3 * update
    assert any(p.grad is not None for p in reference.T.parameters())  # it did the extra work


def test_benchmark_models_compute_the_same_first_iteration():
    cfg = benchmark_config(batch_size=4, channels_last=False)
    engine = build_distiller(cfg)
    reference = ReferenceLoop(engine)
    engine_losses = {k: float(v) for k, v in engine.train_iteration().items()}
    reference_losses = reference.iteration()
    for k in ("loss_S", "loss_G"):
        assert engine_losses[k] == pytest.approx(reference_losses[k], rel=1e-5), k


def test_run_benchmark_reports_the_documented_keys():
    result = bench.run_benchmark(batch_size=2, iters=1, warmup=0)
    assert BENCH_KEYS <= set(result)
    assert result["images_per_second"] > 0 and result["k"] == 5
    assert result["images_per_second"] == pytest.approx(
        (result["k"] + 1) * 2 / result["seconds_per_iteration"])
    ref = bench.run_benchmark(batch_size=2, iters=1, warmup=0, reference=True, amp=True)
    assert ref["reference"] and not ref["amp"] and not ref["channels_last"]


@pytest.mark.slow
def test_compare_reports_both_loops_and_the_ratio():
    result = bench.compare(batch_size=2, iters=1, warmup=0, channels_last=False)
    assert result["reference"]["reference"] and not result["engine"]["reference"]
    assert result["speedup"] == pytest.approx(
        result["engine"]["images_per_second"] / result["reference"]["images_per_second"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_hot_loop_never_synchronises_on_cuda(shapes_teacher):
    teacher, _ = shapes_teacher
    d = Distiller(smoke_config(iterations=3, device="cuda"), copy.deepcopy(teacher))
    d.train_iteration()  # warm-up: lazy initialisations may synchronise once
    torch.cuda.set_sync_debug_mode("error")
    try:
        d.train_iteration()
    finally:
        torch.cuda.set_sync_debug_mode("default")
