"""The throughput benchmark: the engine's DFAD iteration against the straightforward loop.

One iteration of DFAD's protocol (reused by DDAD) is k = 5 student steps and one generator
step, each on a fresh batch of B synthetic images x = G(z), so it passes (k + 1) B images
through the models:

    images_per_second = (k + 1) * B / seconds_per_iteration

The setting `cifar10-r34-r18` is DFAD's CIFAR-10 one: a ResNet-34-8x teacher, a ResNet-18-8x
student and GeneratorA (nz 256, ngf 64) at 32 px. The teacher keeps its random initial weights:
the time of a dense network's forward and backward passes does not depend on the values of
its weights, so no trained teacher (and no data) is needed.

Two loops run on the same models:

- the engine (`Distiller.train_iteration`, the dfad method), with the speed options asked for;
- the reference (`reference_iteration`): the loop as DFAD's published training code runs it,
  fp32 throughout. Its teacher is in eval mode but its parameters still require gradients,
  the teacher runs with autograd on in the student steps, the generator runs with autograd on
  and its output is detached, `zero_grad()` zeroes the gradients in place, the generator step
  backpropagates into the student's and the teacher's parameters as well as into G, and the
  losses are read with `.item()` every iteration.

Both loops draw z from the same seeded generator and compute the same losses (a test checks
it on the first iteration), so the ratio of their throughputs compares like with like.

    python -m ddad_lite bench --batch-size 64 --iters 5 --amp --compare

The full DFAD CIFAR-10 schedule is 25,000 iterations at B = 256: its training time is about
25,000 x seconds_per_iteration measured with --batch-size 256 (see docs/speed.md).
"""

from __future__ import annotations

import copy
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config.building import make_config
from .data import dataset_info
from .engine import Distiller
from .errors import unknown_name
from .models import build
from .provenance import device_name

SETTINGS: dict[str, dict] = {
    # DFAD's CIFAR-10 setting: ResNet-34-8x -> ResNet-18-8x, GeneratorA nz 256 ngf 64, 32 px.
    "cifar10-r34-r18": dict(dataset="cifar10", method="dfad", teacher="resnet34_8x",
                            student="resnet18_8x", generator="generator_a", nz=256, ngf=64,
                            student_steps=5),
    # The same with DDAD: its generator step also records the teacher's BN statistics (36
    # forward hooks in the ResNet-34) and back-propagates L_BN through them.
    "cifar10-r34-r18-ddad": dict(dataset="cifar10", method="ddad", teacher="resnet34_8x",
                                 student="resnet18_8x", generator="generator_a", nz=256,
                                 ngf=64, student_steps=5),
    # DFAD's MNIST setting (DFAD_mnist.py as run_mnist.sh runs it): LeNet-5 (no BN, DFAD's
    # teacher) -> LeNet-5-half, GeneratorA nz 100 ngf 64, 32 px, one channel, batch 512.
    "mnist-lenet5": dict(dataset="mnist", method="dfad", teacher="lenet5",
                         teacher_kwargs={"bn": False}, student="lenet5_half",
                         generator="generator_a", nz=100, ngf=64, student_steps=5),
}


def benchmark_config(setting: str = "cifar10-r34-r18", *, batch_size: int = 64,
                     device: str = "cpu", amp: bool = False, channels_last: bool = True,
                     compile: bool = False, seed: int = 0):
    """The DistillConfig of a benchmark setting (the dataset's `full` profile otherwise)."""
    if setting not in SETTINGS:
        raise unknown_name("benchmark setting", setting, SETTINGS)
    s = dict(SETTINGS[setting])
    dataset, method = s.pop("dataset"), s.pop("method")
    return make_config(dataset, method, "full", batch_size=batch_size, device=device, amp=amp,
                       channels_last=channels_last, compile=compile, seed=seed,
                       progress=False, **s)


def build_distiller(cfg) -> Distiller:
    """A Distiller on a teacher with random weights (seeded): timing needs no trained one."""
    info = dataset_info(cfg.dataset)
    torch.manual_seed(cfg.seed)
    teacher = build(cfg.teacher, num_classes=info.num_classes, channels=info.channels,
                    **cfg.teacher_kwargs)
    return Distiller(cfg, teacher)


class ReferenceLoop:
    """The straightforward DFAD loop on fp32, NCHW copies of a Distiller's T, S and G,
    with optimisers as DFAD builds them (SGD for S, Adam for G, default implementations)."""

    def __init__(self, engine: Distiller):
        cfg = engine.cfg
        self.cfg, self.device = cfg, engine.device
        fp32_nchw = dict(dtype=torch.float32, memory_format=torch.contiguous_format)
        self.T = copy.deepcopy(engine.T).to(**fp32_nchw)
        self.S = copy.deepcopy(engine.S).to(**fp32_nchw)
        self.G = copy.deepcopy(engine.G).to(**fp32_nchw)
        for p in self.T.parameters():  # DFAD's code never freezes the teacher's parameters
            p.requires_grad_(True)
        self.opt_S = torch.optim.SGD(self.S.parameters(), lr=cfg.lr_student,
                                     momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_generator)
        # The same stream of z as the engine's (same seed, same device, same calls).
        self.rng = torch.Generator(self.device).manual_seed(cfg.seed)

    def sample_z(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch_size, self.cfg.nz, device=self.device,
                           generator=self.rng)

    def iteration(self) -> dict:
        return reference_iteration(self.T, self.S, self.G, self.opt_S, self.opt_G,
                                   sample_z=self.sample_z, k=self.cfg.student_steps)


def reference_iteration(T, S, G, opt_S, opt_G, *, sample_z, k: int = 5) -> dict:
    """One iteration of DFAD's training loop, written as its published code does it."""
    T.eval()
    S.train()
    G.train()
    for _ in range(k):
        z = sample_z()
        opt_S.zero_grad(set_to_none=False)
        fake = G(z).detach()
        t_logit = T(fake)
        s_logit = S(fake)
        loss_S = F.l1_loss(s_logit, t_logit.detach())
        loss_S.backward()
        opt_S.step()
    z = sample_z()
    opt_G.zero_grad(set_to_none=False)
    fake = G(z)
    t_logit = T(fake)
    s_logit = S(fake)
    loss_G = -F.l1_loss(s_logit, t_logit)
    loss_G.backward()
    opt_G.step()
    return {"loss_S": loss_S.item(), "loss_G": loss_G.item()}


class _Named(nn.Module):
    """A model under another class name, so that the FLOP counter's per-module table (keyed
    by class names) tells T, S and G apart (T and S are both ResNets)."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, *args, **kwargs):
        return self.inner(*args, **kwargs)


def iteration_flops(engine: Distiller) -> dict:
    """FLOPs of one training iteration of `engine` (`torch.utils.flop_counter`: matrix
    products and convolutions, forward and backward, 2 per multiply-add; element-wise work
    such as BN statistics is not counted), in all and per model: {"total", "T", "S", "G"}
    (per model None before torch 2.4, whose counter attributes no modules here). The
    iteration counted is a real one (the optimisers step)."""
    from torch.utils.flop_counter import FlopCounterMode  # import cost: ~0.4 s, for --flops only

    models = {name: getattr(engine, name) for name in ("T", "S", "G")}
    for name, model in models.items():  # e.g. a class named "T" wrapping the teacher
        setattr(engine, name, type(name, (_Named,), {})(model))
    try:
        with FlopCounterMode(display=False) as counter:
            engine.train_iteration()
        counts = counter.get_flop_counts()
    finally:
        for name, model in models.items():
            setattr(engine, name, model)
    total = counter.get_total_flops()
    if not any(name in counts for name in models):  # torch < 2.4 attributes no modules here
        return {"total": total, **dict.fromkeys(models)}
    return {"total": total, **{name: sum(counts.get(name, {}).values()) for name in models}}


def matmul_tflops(device, *, size: int = 8192, repeats: int = 10) -> float | None:
    """The bf16 matrix-product rate of a CUDA device (TFLOP/s, random operands, the median of
    `repeats` timed products after warm-up): the ceiling an iteration's rate is read against.
    None on other devices."""
    device = torch.device(device)
    if device.type != "cuda":
        return None
    a, b = (torch.randn(size, size, device=device, dtype=torch.bfloat16) for _ in range(2))
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        a @ b
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    return 2 * size**3 / sorted(times)[len(times) // 2] / 1e12


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _make_loop(setting, *, batch_size, device, amp, reference, channels_last, compile):
    """(config, one-iteration callable) for the engine or the reference loop."""
    cfg = benchmark_config(setting, batch_size=batch_size, device=device, amp=amp,
                           channels_last=channels_last, compile=compile)
    engine = build_distiller(cfg)
    return cfg, (ReferenceLoop(engine).iteration if reference else engine.train_iteration)


class _Timer:
    """Wall-clock and process CPU seconds of the timed iterations of one loop."""

    def __init__(self, device: torch.device):
        self.device, self.wall, self.cpu, self.count, self.losses = device, 0.0, 0.0, 0, {}

    def time(self, step) -> None:
        _synchronize(self.device)
        wall, cpu = time.perf_counter(), time.process_time()
        losses = step()
        # The engine leaves its losses on the device; reading them ends the timed span
        # honestly (the reference loop has already read them with .item()).
        self.losses = {k: float(v) for k, v in losses.items()}
        _synchronize(self.device)
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.count += 1


def _result(cfg, timer: _Timer, *, setting, iters, warmup, reference) -> dict:
    seconds = timer.wall / max(timer.count, 1)
    k, batch_size = cfg.student_steps, cfg.batch_size
    return {
        "setting": setting,
        "loop": "reference" if reference else "engine",
        "images_per_second": (k + 1) * batch_size / seconds if seconds else float("nan"),
        "seconds_per_iteration": seconds,
        # CPU seconds of this process per iteration: less sensitive than wall time to
        # other processes on a shared machine (all threads summed).
        "cpu_seconds_per_iteration": timer.cpu / max(timer.count, 1),
        "batch_size": batch_size,
        "iters": iters,
        "warmup": warmup,
        "k": k,
        "amp": cfg.amp,
        "channels_last": cfg.channels_last,
        "compile": cfg.compile,
        "reference": reference,
        "device": str(timer.device),
        "device_name": device_name(timer.device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "final_losses": timer.losses,
    }


def run_benchmark(setting: str = "cifar10-r34-r18", batch_size: int = 64, iters: int = 5,
                  warmup: int = 1, device: str = "cpu", amp: bool = False,
                  reference: bool = False, channels_last: bool = True,
                  compile: bool = False, flops: bool = False) -> dict:
    """Time `iters` iterations (after `warmup` untimed ones) of the engine, or of the
    reference loop with `reference=True` (always fp32, NCHW, eager: its speed options are
    reported as False). Returns one flat dict (see the module docstring); with `flops`, also
    the FLOPs of one more iteration and the rate achieved (`flop_figures`)."""
    if reference:
        amp = channels_last = compile = False
    cfg, step = _make_loop(setting, batch_size=batch_size, device=device, amp=amp,
                           reference=reference, channels_last=channels_last, compile=compile)
    for _ in range(warmup):
        step()
    timer = _Timer(torch.device(cfg.device))
    for _ in range(iters):
        timer.time(step)
    result = _result(cfg, timer, setting=setting, iters=iters, warmup=warmup,
                     reference=reference)
    if flops and not reference:
        result.update(flop_figures(step.__self__, result["seconds_per_iteration"]))
    return result


def flop_figures(engine: Distiller, seconds_per_iteration: float) -> dict:
    """FLOPs per iteration (in all and per model's share), the achieved TFLOP/s and, on a
    GPU, the measured bf16 matrix-product ceiling beside it. A counter that fails (an op it
    does not know on some torch) is reported, never fatal: a bench must not end a GPU run."""
    try:
        counted = iteration_flops(engine)
    except Exception as e:  # noqa: BLE001 (any failure of the counter is only reported)
        return {"flops_error": f"{type(e).__name__}: {e}"}
    total = counted["total"]
    ceiling = matmul_tflops(engine.device)
    achieved = total / seconds_per_iteration / 1e12 if seconds_per_iteration else None
    return {
        "flops_per_iteration": total,
        "flop_share": {k: round(counted[k] / total, 4) if total and counted[k] is not None
                       else None for k in ("T", "S", "G")},
        "achieved_tflops": achieved,
        "matmul_bf16_tflops": ceiling,
        "share_of_matmul_ceiling": (round(achieved / ceiling, 4)
                                    if achieved and ceiling else None),
    }


def compare(setting: str = "cifar10-r34-r18", batch_size: int = 64, iters: int = 5,
            warmup: int = 1, device: str = "cpu", amp: bool = False,
            channels_last: bool = True, compile: bool = False) -> dict:
    """The reference loop and the engine timed in one process, their timed iterations
    interleaved (reference, engine, reference, ...) so that a change in the machine's load
    falls on both alike; `speedup` = engine images/s / reference images/s."""
    common = dict(batch_size=batch_size, device=device)
    ref_cfg, ref_step = _make_loop(setting, **common, amp=False, reference=True,
                                   channels_last=False, compile=False)
    eng_cfg, eng_step = _make_loop(setting, **common, amp=amp, reference=False,
                                   channels_last=channels_last, compile=compile)
    for _ in range(warmup):
        ref_step()
        eng_step()
    dev = torch.device(device)
    ref_timer, eng_timer = _Timer(dev), _Timer(dev)
    for _ in range(iters):
        ref_timer.time(ref_step)
        eng_timer.time(eng_step)
    shared = dict(setting=setting, iters=iters, warmup=warmup)
    ref = _result(ref_cfg, ref_timer, **shared, reference=True)
    eng = _result(eng_cfg, eng_timer, **shared, reference=False)
    return {"reference": ref, "engine": eng,
            "speedup": eng["images_per_second"] / ref["images_per_second"],
            "cpu_speedup": ref["cpu_seconds_per_iteration"] / eng["cpu_seconds_per_iteration"]}
