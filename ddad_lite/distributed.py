"""Data-parallel distillation on torch.distributed: one run spread over N processes (ranks),
launched by torchrun, so that the run is the single-process run on the global batch.

    torchrun --nproc-per-node 2 -m ddad_lite distill --method ddad --out runs/ddp ...

Each rank draws its own z stream (seeded by the run's seed and the rank), so the global batch
is N x the per-rank `batch_size`. For the objective to be the single-process objective on
that global batch, everything that reads a *batch statistic* reads the global one, and every
gradient is averaged:

    sum-reduce    per-channel sums of (a - c) and (a - c)^2 and the count, for T's BN hooks
                  (L_BN) and for every BatchNorm of S, G and the method's own networks in train
                  mode (`GlobalBatchNorm`); c is the layer's running mean, the same on every
                  rank, which keeps E[(a-c)^2] - E[a-c]^2 free of cancellation. The sum's
                  backward is a sum too, so each rank's input gets N x its share of the
                  global objective's gradient ...
    average       ... and every network's optimiser (S, G, replay VAE, FC discriminator)
                  averages its gradients over the ranks before it steps: together, the
                  gradient of the global objective.

Losses never import torch.distributed: they take a `reduce` hook (a differentiable sum over
ranks), handed to methods as `engine.reduce_statistics`. The engine calls two hooks of
`DataParallel` (`prepare`, `gather_state`), never this room; run.py calls `local_state`.

Rank 0 alone evaluates and writes. A checkpoint holds the shared models and optimisers, each
rank's RNG and method state, and the world size: a resume restores every rank and refuses
another world size in one line. gloo on CPUs, NCCL on GPUs (cuda:LOCAL_RANK per rank).
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.nn as nn

from .errors import UserError
from .losses import fp32_or_wider, global_moments

# Rank r's z stream is seeded with seed + Z_SEED_STRIDE * r (rank 0: the single-process one).
Z_SEED_STRIDE = 1_000_003


def _world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


class _SumOverRanks(torch.autograd.Function):
    """y = sum over ranks of x; backward: the incoming gradients summed over ranks likewise."""

    @staticmethod
    def forward(ctx, x):
        y = x.clone()
        dist.all_reduce(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad


def sum_over_ranks(x: torch.Tensor) -> torch.Tensor:
    """The differentiable sum of `x` over all ranks (the `reduce` hook of the losses)."""
    return _SumOverRanks.apply(x)


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training-mode statistics are those of the global batch (all ranks).

    torch's SyncBatchNorm runs on GPUs only; this one runs wherever the `reduce` hook does
    (gloo on CPUs too). In eval mode, or without `reduce`, it is plain BatchNorm.
    """

    def __init__(self, num_features, *, reduce=None, **kwargs):
        super().__init__(num_features, **kwargs)
        self.reduce = reduce

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input, got {input.dim()}-D")

    def forward(self, x):
        if not self.training or self.reduce is None or not self.track_running_stats:
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        shape = [1, -1] + [1] * (x.dim() - 2)
        wide = fp32_or_wider(x)
        mean, var = global_moments(wide, dims, self.running_mean.detach().to(wide.dtype),
                                   self.reduce)
        var = var.clamp_min(0)
        n = x.numel() / x.shape[1] * _world_size()
        with torch.no_grad():  # running statistics as BatchNorm keeps them (unbiased var)
            self.num_batches_tracked.add_(1)
            momentum = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                        else self.momentum)
            self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), momentum)
            unbiased = var.detach() * n / max(n - 1, 1)
            self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)
        y = (wide - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.to(wide.dtype).view(shape) + self.bias.to(wide.dtype).view(shape)
        return y.to(x.dtype)


def globalize_batchnorm(module: nn.Module, reduce) -> int:
    """Swap every BatchNorm inside `module` for a `GlobalBatchNorm` sharing its parameters and
    buffers (optimisers built on them stay valid; state_dict keys are unchanged). Returns how
    many were swapped."""
    swapped = 0
    for name, child in list(module.named_children()):
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and \
                not isinstance(child, GlobalBatchNorm):
            new = GlobalBatchNorm(child.num_features, reduce=reduce, eps=child.eps,
                                  momentum=child.momentum, affine=child.affine,
                                  track_running_stats=child.track_running_stats)
            for key, value in list(child._parameters.items()):
                new._parameters[key] = value
            for key, value in list(child._buffers.items()):
                new._buffers[key] = value
            new.train(child.training)
            setattr(module, name, new)
            swapped += 1
        else:
            swapped += globalize_batchnorm(child, reduce)
    return swapped


def owned_parts(method) -> tuple[list[nn.Module], list[torch.optim.Optimizer]]:
    """The networks and optimisers a method keeps as attributes (e.g. the replay VAE and its
    Adam), looking inside wrapped methods (`base`) too. Optimisers of per-batch variables
    (a pixel batch, a latent z) are not attributes of networks and are not averaged."""
    modules, optimizers, seen = [], [], set()

    def walk(obj):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for value in vars(obj).values():
            if isinstance(value, nn.Module):
                modules.append(value)
            elif isinstance(value, torch.optim.Optimizer):
                optimizers.append(value)
            elif hasattr(value, "settings") and hasattr(value, "iteration"):
                walk(value)  # a wrapped method

    walk(method)
    network_params = {id(p) for m in modules for p in m.parameters()}
    optimizers = [o for o in optimizers
                  if all(id(p) in network_params for g in o.param_groups for p in g["params"])]
    return modules, optimizers


class DataParallel:
    """This process's place in a data-parallel run, and the hooks the engine calls."""

    def __init__(self, *, rank: int, world_size: int, local_rank: int = 0):
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def z_seed(self, seed: int) -> int:
        """The seed of this rank's z stream."""
        return seed + Z_SEED_STRIDE * self.rank

    reduce = staticmethod(sum_over_ranks)

    # ---- what the engine calls -------------------------------------------------------------
    def prepare(self, engine) -> None:
        """Once T, S, G, the method and the optimisers exist: global BatchNorm statistics in S,
        G and the method's networks, the same initial weights on every rank (rank 0's), and
        gradients averaged over the ranks before every step of their optimisers."""
        engine.rng.manual_seed(self.z_seed(engine.cfg.seed))  # this rank's own z stream
        modules, optimizers = owned_parts(engine.method)
        networks = [engine.S, engine.G, *(m for m in modules if m is not engine.T)]
        for net in networks:
            globalize_batchnorm(net, self.reduce)
            for tensor in [*net.parameters(), *net.buffers()]:
                dist.broadcast(tensor.data, src=0)
        for opt in (engine.opt_S, engine.opt_G, *optimizers):
            opt.register_step_pre_hook(self._average_gradients)

    def _average_gradients(self, optimizer, args, kwargs) -> None:
        grads = [p.grad for g in optimizer.param_groups for p in g["params"]
                 if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat.div_(self.world_size)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def gather_state(self, state: dict) -> dict | None:
        """On every rank at a checkpoint: rank 0 gets `state` with every rank's RNG states and
        method state under "ranks" and the world size; the other ranks get None."""
        own = {"rng": state["rng"], "method": state["method"]}
        gathered = [None] * self.world_size
        dist.all_gather_object(gathered, _to_cpu(own))
        if not self.is_main:
            return None
        return {**state, "world_size": self.world_size, "ranks": gathered}

    def local_state(self, state: dict) -> dict:
        """A checkpoint as this rank resumes it: its own RNG states and method state."""
        check_world_size(state, self.world_size)
        return {**state, **state["ranks"][self.rank]}

    def barrier(self) -> None:
        dist.barrier()


def check_world_size(state: dict, world_size: int) -> None:
    """A one-line UserError unless the checkpoint was made by `world_size` processes."""
    saved = state.get("world_size", 1)
    if saved != world_size:
        raise UserError(f"cannot resume: the checkpoint was made by {saved} process(es) and "
                        f"this run has {world_size}; resume with "
                        + (f"torchrun --nproc-per-node {saved}" if saved > 1 else
                           "a single process (no torchrun)") + ", or use a new --out")


def _to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


# ---- the process group ----------------------------------------------------------------------
def world_size_of_environment() -> int:
    """The number of processes torchrun started (1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def from_environment(device: str | None) -> DataParallel | None:
    """Join the process group torchrun describes (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_*):
    gloo on CPUs, NCCL on GPUs (this rank on cuda:LOCAL_RANK). None outside torchrun or with a
    single process."""
    world_size = world_size_of_environment()
    if world_size <= 1:
        return None
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = (device or "cpu").startswith("cuda")
    if cuda:
        if local_rank >= torch.cuda.device_count():
            raise UserError(f"rank {rank} wants cuda:{local_rank} but this node has "
                            f"{torch.cuda.device_count()} GPU(s); use --nproc-per-node "
                            f"{torch.cuda.device_count()} or fewer")
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", timeout=timedelta(minutes=10))
    return DataParallel(rank=rank, world_size=world_size, local_rank=local_rank)


def in_process_group(device: str | None, run):
    """`run(parallel)` inside torchrun's process group (`parallel` None outside torchrun),
    a SIGTERM from torchrun turned into `PeerLost`, the group destroyed afterwards."""
    parallel = from_environment(device)
    if parallel is not None:
        stop_on_sigterm()
    try:
        return run(parallel)
    except RuntimeError as e:  # before training began (run.py names the checkpoint after)
        if parallel is None or not is_peer_failure(e):
            raise
        raise UserError(lost_peer_message(parallel, None, None)) from e
    finally:
        shutdown()


def shutdown() -> None:  # the process group, destroyed if there is one
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def stop_on_sigterm() -> None:
    """torchrun ends the other ranks with SIGTERM when one fails: turn it into an exception so
    the run ends with the one-line message of `lost_peer_message`."""
    def handler(signum, frame):
        raise PeerLost("torchrun stopped this rank (another rank failed)")
    signal.signal(signal.SIGTERM, handler)


def ignore_sigterm() -> None:
    """A rank already stopping ignores torchrun's SIGTERM, which would cut its message short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class PeerLost(RuntimeError):
    """Another rank of the run stopped."""


def is_peer_failure(error: BaseException) -> bool:
    """Whether `error` says another rank stopped: torchrun's SIGTERM, a broken collective
    (gloo raises a plain RuntimeError naming the lost connection)."""
    text = str(error).lower()
    return isinstance(error, PeerLost | dist.DistError) or (
        isinstance(error, RuntimeError) and any(
            word in text for word in ("gloo", "nccl", "connection", "peer")))


def lost_peer_message(parallel: DataParallel, checkpoint, step: int | None) -> str:
    """The one line a rank prints when another rank stopped."""
    where = (f"the last checkpoint ({checkpoint}, step {step}) is complete; resume with the "
             f"same torchrun command and --resume" if step is not None else
             "no checkpoint was written yet (--checkpoint-every N saves on the way); start "
             "the run again")
    return f"rank {parallel.rank}: another rank of this run stopped; {where}"

