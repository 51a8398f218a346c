"""The distillation engine: T, S, G, their optimisers, and the loop that trains, logs,
evaluates, snapshots and checkpoints them.

The method owns its iteration (`Method.iteration`, methods/): DDAD's, DFAD's loop, is k
student steps then one generator step (methods/ddad.py). The engine gives a method eight
members (`methods.base.Engine`: cfg, nets, opt, step, sample_z, autocast, update,
reduce_statistics) and keeps the rest to itself: building T, S, G and their optimisers, the
schedules, logging, evaluation, snapshots, checkpoints, the time limit and data parallel. The
engine imports no loss (a method attaches and releases what it needs of T).

T is frozen: eval mode (its BN layers use and keep their running statistics) and no parameter
gradients. Real data only evaluates the student: on the validation split (held-out train
images; it chooses the best evaluation) and on the test split (only reported).

Speed without changing the mathematics (docs/speed.md has the measurements): T runs without
autograd wherever no gradient flows through it, and no step fills a parameter gradient it does
not use (T's never; S's not in the generator step); optimisers use fused or foreach kernels
where this torch has them; `channels_last` puts models and images in NHWC; `amp` runs under
bf16 or fp16 autocast (hardware.amp_dtype; fp16 steps through a GradScaler, `update`);
`compile` compiles T, S and G in place; cuDNN picks its fastest kernels; and nothing reads a
value back to the host except every `log_every` steps. The loop is seeded and deterministic on
the CPU; a checkpoint holds models, optimisers, schedulers, the step, every RNG state and the
config, so a resumed run continues exactly as an uninterrupted one would. Checkpoints are
written every `checkpoint_every` iterations and, by default, every `checkpoint_minutes` of
wall time, so a killed run loses minutes, not the run.

Divergence: each iteration folds "every loss is finite" into one flag on the device (no
read-back); wherever the loop reads back anyway (a log, an evaluation, a snapshot, a
checkpoint, the end) it checks that flag and, before a checkpoint, that every parameter of S
and G is finite (under fp16, losses are left to the scaler). A non-finite value raises
`TrainingDiverged`; the checkpoint on disk is then the last good one, never a NaN one."""

from __future__ import annotations

import random
import time
from pathlib import Path

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from .checkpoint import distiller_state, load_distiller_state
from .config import DistillConfig
from .data import dataset_info, denormalize
from .errors import UserError
from .files import save_torch
from .hardware import amp_dtype, compile_in_place, grad_scaler, scaled_step
from .methods import Nets, Optimizers, build_method
from .metrics import PRIMARY_METRIC, class_entropy, effective_classes, eval_loader, evaluate
from .models import build, freeze
from .optimizers import build_optimizers


# What a distillation checkpoint says it is; `check_resumable` refuses any other file.
class TrainingDiverged(UserError):
    """A loss or a parameter stopped being finite at iteration `step`."""

    def __init__(self, step: int, what: str):
        super().__init__(f"training diverged at iteration {step}: {what} is not finite")
        self.step, self.what = step, what


def as_floats(values: dict) -> dict:
    """{name: float} of scalar tensors and numbers, the tensors read back in one transfer."""
    tensors = {k: v.detach() for k, v in values.items()
               if isinstance(v, torch.Tensor) and v.dim() == 0}
    read = dict(zip(tensors, torch.stack(list(tensors.values())).tolist(), strict=True)
                ) if tensors else {}
    return {k: read[k] if k in read else float(v) for k, v in values.items()}


class Distiller:
    """T, S, G, their optimisers and the loop. `fit()` trains; `state_dict()` checkpoints."""

    def __init__(self, cfg: DistillConfig, teacher: nn.Module, *, eval_dataset=None,
                 val_dataset=None, teacher_id: str | None = None, parallel=None):
        self.cfg, self.parallel = cfg, parallel  # data parallel: distributed.py, docs/scale.md
        self.reduce_statistics = getattr(parallel, "reduce", None)  # methods' sum over ranks
        self.device = torch.device(cfg.device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise UserError("--device cuda was asked for but no CUDA device is available; "
                            "use --device cpu")
        self.info = dataset_info(cfg.dataset)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN time its kernels
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)
        memory_format = torch.channels_last if cfg.channels_last else torch.preserve_format
        self.amp_dtype = amp_dtype(cfg.amp, self.device)  # bf16, fp16 (scaled) or None
        self.amp = self.amp_dtype == torch.bfloat16  # evaluation: bf16 autocast or fp32
        self.scaler = grad_scaler(self.device, self.amp_dtype)  # a no-op unless fp16

        self.T = freeze(teacher).to(self.device, memory_format=memory_format)
        self.S = build(cfg.student, num_classes=self.info.num_classes,
                       channels=self.info.channels, **cfg.student_kwargs)
        self.S = self.S.to(self.device, memory_format=memory_format)
        self.G = build(cfg.generator, nz=cfg.nz, ngf=cfg.ngf, img_size=self.info.image_size,
                       channels=self.info.channels, **cfg.generator_kwargs)
        self.G = self.G.to(self.device, memory_format=memory_format)
        shared = set(map(id, self.S.parameters())) & set(map(id, self.T.parameters()))
        if self.S is self.T or shared:
            raise ValueError("student and teacher must be distinct models")

        self.method = build_method(cfg)
        self.method.setup(self)  # e.g. hooks on T's BN layers, released by close()
        self.opt_S, self.opt_G, self.sched_S, self.sched_G = build_optimizers(
            cfg, self.S, self.G, self.device, scaled=self.scaler.is_enabled())

        # z for training comes from its own generator; the snapshots' z is fixed for the run.
        self.rng = torch.Generator(self.device).manual_seed(cfg.seed)
        self.fixed_z = torch.randn(cfg.snapshot_size, cfg.nz,
                                   generator=torch.Generator().manual_seed(cfg.seed + 1))
        self.eval_loader = (eval_loader(eval_dataset, size=cfg.eval_size, device=self.device)
                            if eval_dataset is not None else None)
        self.val_loader = (eval_loader(val_dataset, device=self.device)
                           if val_dataset is not None else None)
        self.teacher_id = teacher_id  # the teacher's weights sha256, kept in checkpoints
        self.step = 0
        self.train_seconds = 0.0
        # Wall time of earlier processes of this run (resumes), and when this one started
        # (the caller may move it earlier, e.g. to count loading the teacher).
        self.wall_seconds_before = 0.0
        self.wall_started = time.perf_counter()
        self.finite = torch.ones((), dtype=torch.bool, device=self.device)
        self.history: dict[str, list] = {"train": [], "eval": [], "bn_layers": []}
        self.stopped_by: str | None = None  # "time_limit" when the deadline ended the loop
        self.images_per_iteration = self.method.images_per_iteration()
        self.snapshots: list[dict] = []
        if parallel is not None:  # global BatchNorm, rank 0's weights, averaged gradients
            parallel.prepare(self)
        if cfg.compile:
            for model in (self.T, self.S, self.G):
                compile_in_place(model)

    # ---- what a method may use (methods.base.Engine) ------------------------------------
    @property
    def nets(self) -> Nets:
        return Nets(self.T, self.S, self.G)

    @property
    def opt(self) -> Optimizers:
        return Optimizers(self.opt_S, self.opt_G)

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.bfloat16,
                              enabled=self.amp_dtype is not None)

    def update(self, losses, optimizers) -> None:
        """Zero each optimiser's gradients, backward of each loss, a step of each optimiser
        (fp16: through the scaler). One loss and optimiser, or lists."""
        for optimizer in optimizers if isinstance(optimizers, (list, tuple)) else [optimizers]:
            optimizer.zero_grad(set_to_none=True)
        scaled_step(self.scaler, losses, optimizers)

    def sample_z(self, batch_size: int | None = None) -> torch.Tensor:
        return torch.randn(batch_size or self.cfg.batch_size, self.cfg.nz, device=self.device,
                           generator=self.rng)

    # ---- one iteration -------------------------------------------------------------------
    def train_iteration(self) -> dict:
        """One iteration of the method, then the schedules; returns its logs as tensors."""
        self.S.train()
        self.G.train()
        losses = self.method.iteration(self)
        # No read-back; under fp16 the scaler skips a step whose loss overflows.
        for value in losses.values() if not self.scaler.is_enabled() else ():
            if isinstance(value, torch.Tensor):
                self.finite &= torch.isfinite(value.detach()).all()
        self.sched_S.step()
        if self.method.uses_generator:
            self.sched_G.step()
        self.step += 1
        return losses

    # ---- the loop ------------------------------------------------------------------------
    def fit(self, *, checkpoint_path: str | Path | None = None, callback=None,
            until: int | None = None):
        """Train until `cfg.iterations` (or stop early at step `until`, or at the deadline
        `cfg.time_limit`), evaluating, snapshotting and checkpointing on the way.

        `callback(distiller, event)` is called with event "log", "eval" or "snapshot".
        A run that reaches its deadline logs, evaluates and snapshots the step it stopped at
        (what was not already done there) and says so in `stopped_by` ("time_limit").
        """
        cfg = self.cfg
        stop = cfg.iterations if until is None else min(until, cfg.iterations)
        bar = tqdm(total=cfg.iterations, initial=self.step, disable=not cfg.progress,
                   desc=f"{cfg.method} {cfg.dataset}", dynamic_ncols=True)
        last_save = time.perf_counter()
        losses = None
        while self.step < stop:
            if cfg.time_limit and self.elapsed_wall_seconds() >= cfg.time_limit:
                self.stopped_by = "time_limit"
                break
            start = time.perf_counter()
            losses = self.train_iteration()
            if self.device.type == "cuda" and self._due(cfg.log_every):
                torch.cuda.synchronize()
            self.train_seconds += time.perf_counter() - start
            bar.update(1)
            save_now = bool(checkpoint_path) and (
                (cfg.checkpoint_every and self._due(cfg.checkpoint_every))
                or (cfg.checkpoint_minutes
                    and time.perf_counter() - last_save >= 60 * cfg.checkpoint_minutes))
            self._record(losses, bar, callback, check_parameters=save_now)
            if save_now:
                self.save(checkpoint_path)
                last_save = time.perf_counter()
        if self.stopped_by and losses is not None:  # the deadline's step, what is not done
            self._record(losses, bar, callback, check_parameters=False, final=True)
        bar.close()
        if checkpoint_path:
            self.check_finite({}, parameters=True)
            self.save(checkpoint_path)
        return self

    def _record(self, losses: dict, bar, callback, *, check_parameters: bool,
                final: bool = False) -> None:
        """At the steps they are due (with `final`: those not due, the early end's), the
        training log, the evaluation and the snapshot; first, one finiteness check."""
        cfg = self.cfg

        def due(every: int) -> bool:
            return bool(every) and self._due(every) != final

        if check_parameters or any(due(every) for every in (
                cfg.log_every, cfg.eval_every, cfg.snapshot_every)):
            self.check_finite(losses, parameters=check_parameters)
        if due(cfg.log_every):
            record = {"iteration": self.step, **as_floats(losses),
                      "lr_student": self.opt_S.param_groups[0]["lr"]}
            self.history["train"].append(record)
            for key, extra in self.method.history_records().items():
                self.history.setdefault(key, []).append({"iteration": self.step, **extra})
            bar.set_postfix(loss_S=f"{record['loss_S']:.3f}")
            if callback:
                callback(self, "log")
        if self.eval_loader is not None and due(cfg.eval_every):
            scores = self.evaluate()
            self.history["eval"].append({"iteration": self.step, **scores})
            bar.set_postfix(loss_S=f"{float(losses['loss_S']):.3f}",
                            score=f"{scores[self.primary_metric]:.3f}")
            if callback:
                callback(self, "eval")
        if due(cfg.snapshot_every):
            self.snapshots.append(self.snapshot())
            if callback:
                callback(self, "snapshot")

    def check_finite(self, losses: dict, *, parameters: bool) -> None:
        """Raise TrainingDiverged if a loss since the last check (or, with `parameters`, a
        parameter of S or G) is not finite. Reads one value back from the device."""
        if not bool(self.finite):
            bad = [k for k, v in losses.items()
                   if isinstance(v, torch.Tensor) and not torch.isfinite(v).all()]
            raise TrainingDiverged(self.step, f"the loss {bad[0]}" if bad else "a loss")
        if parameters:
            for name, model in (("the student", self.S), ("the generator", self.G)):
                finite = [torch.isfinite(p).all() for p in model.parameters()]
                if finite and not bool(torch.stack(finite).all()):  # one read-back
                    raise TrainingDiverged(self.step, f"a parameter of {name}")

    def elapsed_wall_seconds(self) -> float:
        """Wall time of the whole run so far: earlier processes (resumes) and this one."""
        return self.wall_seconds_before + time.perf_counter() - self.wall_started

    def _due(self, every: int) -> bool:
        return bool(every) and (self.step % every == 0 or self.step == self.cfg.iterations)

    # ---- measuring -----------------------------------------------------------------------
    @property
    def primary_metric(self) -> str:
        """The history key of the headline score: `student_acc` (or `student_miou`)."""
        return "student_" + PRIMARY_METRIC[self.info.task]

    def evaluate(self) -> dict:
        """S's metrics on the test split (`student_...`) and validation split (`val_...`)."""
        scores = {}
        for prefix, loader in (("", self.eval_loader), ("val_", self.val_loader)):
            if loader is not None:
                found = evaluate(self.S, loader, info=self.info, device=self.device,
                                 amp=self.amp, channels_last=self.cfg.channels_last)
                scores.update({f"{prefix}student_{k}": v for k, v in found.items()})
        return scores

    @torch.no_grad()
    def snapshot(self) -> dict:
        """G(fixed z) as uint8 images with T's and S's predictions, for the notebooks
        (for segmentation: predicted masks, uint8 (n, H, W), and mean confidence per image)."""
        z = self.fixed_z.to(self.device)
        was_training = self.S.training
        self.S.eval()
        with self.autocast():
            x = self.method.snapshot_images(self, z)  # default: G(z)
            t, s = self.T(x).float(), self.S(x).float()
        self.S.train(was_training)
        images = (denormalize(x.float(), self.info) * 255).round().to(torch.uint8)
        t_prob, s_prob = t.softmax(1), s.softmax(1)
        t_pred, s_pred = t_prob.argmax(1), s_prob.argmax(1)
        t_conf, s_conf = t_prob.max(1).values, s_prob.max(1).values
        entropy = class_entropy(t_pred, self.info.num_classes)
        if self.info.task == "segmentation":  # masks (n, H, W) as uint8; confidence per image
            t_pred, s_pred = t_pred.to(torch.uint8), s_pred.to(torch.uint8)
            t_conf, s_conf = t_conf.flatten(1).mean(1), s_conf.flatten(1).mean(1)
        return {
            "iteration": self.step,
            "images": images.cpu(),
            "teacher_pred": t_pred.cpu(),
            "student_pred": s_pred.cpu(),
            "teacher_conf": t_conf.cpu(),
            "student_conf": s_conf.cpu(),
            # 1.0: T's classes as evenly spread as the batch allows; near 0: collapse.
            "teacher_class_entropy": float(entropy),
            "teacher_effective_classes": effective_classes(t_pred, self.info.num_classes),
            "teacher_logit_norm": float(t.norm(dim=1).mean()),  # vs metrics' ..._real
        }

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        return distiller_state(self)

    def load_state_dict(self, state: dict) -> None:
        load_distiller_state(self, state)

    def close(self) -> None:
        """Let the method release what it attached to T (its BN hooks, which hold the last
        batch's graph): a teacher reused by later runs keeps no trace of this one."""
        self.method.close()

    def save(self, path) -> None:  # data parallel: every rank gathers, rank 0 alone writes
        if state := (self.parallel.gather_state if self.parallel else dict)(self.state_dict()):
            save_torch(path, state)

