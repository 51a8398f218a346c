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
import torch.nn.functional as F

from .configure import make_config
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
                  compile: bool = False) -> dict:
    """Time `iters` iterations (after `warmup` untimed ones) of the engine, or of the
    reference loop with `reference=True` (always fp32, NCHW, eager: its speed options are
    reported as False). Returns one flat dict (see the module docstring)."""
    if reference:
        amp = channels_last = compile = False
    cfg, step = _make_loop(setting, batch_size=batch_size, device=device, amp=amp,
                           reference=reference, channels_last=channels_last, compile=compile)
    for _ in range(warmup):
        step()
    timer = _Timer(torch.device(cfg.device))
    for _ in range(iters):
        timer.time(step)
    return _result(cfg, timer, setting=setting, iters=iters, warmup=warmup, reference=reference)


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
