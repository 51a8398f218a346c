"""Losses of adversarial data-free distillation: the BN-statistics loss and discrepancies.

**BN statistics (the teacher as discriminator).** A BatchNorm layer l of the teacher T stores
the running mean and variance of its inputs over T's training data. For a synthetic batch
x = G(z), a forward hook on l reads the layer's input activations a_l and computes the batch
mean mu_l (over N, H, W) and the biased batch variance var_l. Following DeepInversion (Yin et
al., 2020) and its public code:

    R_l  = || mu_l - running_mean_l ||_2 + || var_l - running_var_l ||_2
    L_BN = sum_l R_l

plain L2 norms (not squared, not divided by channels), every layer weighted equally.

**Statistics of a global batch.** A loss that reads a batch statistic (L_BN, L_ie) takes an
optional `reduce` hook: a differentiable sum over the processes of a data-parallel run
(distributed.py). With it, the statistic is that of the global batch: the hook sums the
per-channel counts, sums and squared sums (taken about the running mean, which every process
holds alike), so the loss is the single-process loss on the whole batch.

**Teacher priors (DAFL, Chen et al., 2019)**, optional terms of a generator's loss, on the
teacher's logits t of a synthetic batch:

    L_oh  = CE(t, argmax t)                      one-hot: T should be confident
    L_ie  = -H_b(mean_batch softmax(t))          information entropy: every class equally
                                                 often (minimising -H balances the classes);
                                                 H_b in base b: DAFL's code takes log10

**Discrepancies D(S(x), T(x)) (the student as discriminator).** Between student and teacher
logits (class dimension 1; dense outputs keep their spatial dimensions and are averaged):

    l1:     D = mean |s - t|                                   (DFAD, classification)
    kl:     D = tau^2 KL(softmax(t / tau) || softmax(s / tau))  (Hinton's KD), batchmean
    log_l1: D = -log(1 + mean |s - t|) ... used as a *generator* loss in DFAD's segmentation;
            here `log_l1` returns log(1 + L1) so that the generator maximises it like the others.
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import unknown_name


def fp32_or_wider(t: torch.Tensor) -> torch.Tensor:
    """`t` in fp32, or as it is when wider (fp64): `.float()` that never narrows a float64
    computation (the equivalence tests run in float64)."""
    return t if t.dtype == torch.float64 else t.float()


class BNStatsHook:
    """Forward hook on one BatchNorm layer: R_l for the latest batch through it.

    The hook reads the layer's input, so it works whatever mode the layer is in (the teacher
    is in eval mode; its running statistics are never updated by synthetic batches).
    """

    def __init__(self, module: nn.modules.batchnorm._BatchNorm, name: str = "", *,
                 reduce=None):
        self.module, self.name, self.reduce = module, name, reduce
        self.loss: torch.Tensor | None = None
        self.mean: torch.Tensor | None = None
        self.var: torch.Tensor | None = None
        self.enabled = True
        self._handle = module.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        if not self.enabled:
            return
        a = inputs[0]
        dims = [0] + list(range(2, a.dim()))  # N and spatial dimensions
        # Statistics in fp32 even under autocast: variances of bf16 activations are too coarse.
        a = fp32_or_wider(a)
        if self.reduce is None:
            mean = a.mean(dim=dims)
            var = a.var(dim=dims, unbiased=False)
        else:
            mean, var = global_moments(a, dims, module.running_mean.to(a.dtype), self.reduce)
        self.mean, self.var = mean, var
        self.loss = (torch.linalg.vector_norm(mean - module.running_mean.to(a.dtype))
                     + torch.linalg.vector_norm(var - module.running_var.to(a.dtype)))

    def remove(self):
        self._handle.remove()
        self.loss = self.mean = self.var = None


def global_moments(a: torch.Tensor, dims: list[int], shift: torch.Tensor, reduce):
    """Mean and biased variance over `dims` of `a` across every process (`reduce`: the
    differentiable sum over them), from sums of a - shift and (a - shift)^2; a shift near the
    mean (the same on every process) keeps E[d^2] - E[d]^2 free of cancellation."""
    shape = [1, -1] + [1] * (a.dim() - 2)
    d = a - shift.view(shape)
    count = d.new_tensor([d.numel() / d.shape[1]])
    sums = reduce(torch.cat([d.sum(dims), (d * d).sum(dims), count]))
    c, n = d.shape[1], sums[-1]
    shifted_mean = sums[:c] / n
    return shifted_mean + shift, sums[c:2 * c] / n - shifted_mean.pow(2)


class BNStatistics:
    """All BatchNorm layers of a model, hooked: `L_BN = sum_l R_l` of the last forward pass.

        bn = BNStatistics(teacher)
        teacher(x)
        bn.loss()            # scalar L_BN
        bn.per_layer()       # {layer name: R_l} as floats
    """

    def __init__(self, model: nn.Module, *, reduce=None):
        """`reduce`: statistics of the global batch of a data-parallel run (module doc)."""
        self.hooks = [BNStatsHook(m, name, reduce=reduce) for name, m in model.named_modules()
                      if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def __len__(self):
        return len(self.hooks)

    def set_enabled(self, enabled: bool):
        """Switch the hooks off for forward passes that need no BN loss (saves work)."""
        for h in self.hooks:
            h.enabled = enabled

    @contextlib.contextmanager
    def recording(self):
        """Hooks on inside the block, off after it: only the forward passes that need L_BN
        pay for the statistics."""
        self.set_enabled(True)
        try:
            yield self
        finally:
            self.set_enabled(False)

    def loss(self) -> torch.Tensor:
        losses = [h.loss for h in self.hooks if h.loss is not None]
        if not losses:
            raise RuntimeError("no BatchNorm statistics recorded: run the model forward first")
        return torch.stack(losses).sum()

    def per_layer(self) -> dict[str, float]:
        """{layer name: R_l} as floats, read back from the device in one transfer."""
        hooks = [h for h in self.hooks if h.loss is not None]
        if not hooks:
            return {}
        values = torch.stack([h.loss.detach() for h in hooks]).tolist()
        return {h.name: v for h, v in zip(hooks, values, strict=True)}

    def rows(self) -> list[dict]:
        """Per hooked layer after a forward pass: name, batch mu_l and sigma_l^2, the running
        statistics and R_l (CPU tensors and floats), for the per-layer match plots."""
        return [{"name": h.name, "mean": h.mean.detach().cpu(), "var": h.var.detach().cpu(),
                 "running_mean": h.module.running_mean.detach().cpu().float(),
                 "running_var": h.module.running_var.detach().cpu().float(),
                 "R": float(h.loss.detach())}
                for h in self.hooks if h.mean is not None]

    def remove(self):
        for h in self.hooks:
            h.remove()


def onehot_loss(t: torch.Tensor) -> torch.Tensor:
    """L_oh = CE(t, argmax t): low when the teacher is confident on each synthetic image."""
    return F.cross_entropy(t, t.argmax(1).detach())


def class_balance_loss(t: torch.Tensor, *, log_base: float = math.e,
                       reduce=None) -> torch.Tensor:
    """L_ie = -H_b(p_bar) = sum_c p_bar_c log_b p_bar_c, p_bar the batch mean of softmax(t):
    low when classes are balanced. `log_base` b: e (nats) or 10, as DAFL's code computes it
    (`torch.log10`; the same loss divided by ln 10, i.e. 2.3x weaker than in nats).

    Its minimum, -log_b(num_classes), is reached when the teacher sees every class equally
    often in the batch (dense outputs: over every pixel). p_bar is clamped at 1e-12 before
    the log (DAFL's code does not clamp: a class whose mean probability underflows to 0 gives
    NaN there). With `reduce`, p_bar is the mean over the global batch (module doc).
    """
    p = F.softmax(fp32_or_wider(t), dim=1)
    per_class = p.transpose(0, 1).reshape(p.shape[1], -1)
    if reduce is None:
        p_bar = per_class.mean(1)
    else:
        sums = reduce(torch.cat([per_class.sum(1), per_class.new_tensor([per_class.shape[1]])]))
        p_bar = sums[:-1] / sums[-1]
    entropy_nats = (p_bar * p_bar.clamp_min(1e-12).log()).sum()
    return entropy_nats if log_base == math.e else entropy_nats / math.log(log_base)


def l1_discrepancy(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of logits (DFAD's loss for student and generator)."""
    return (s - t).abs().mean()


def kl_discrepancy(s: torch.Tensor, t: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """tau^2 KL(p_T || p_S) with p = softmax(logits / tau) over dim 1, averaged per element
    of the batch (and per pixel for dense outputs)."""
    log_p_s = F.log_softmax(s / temperature, dim=1)
    log_p_t = F.log_softmax(t / temperature, dim=1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=1)
    return kl.mean() * temperature**2


def log_l1_discrepancy(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """log(1 + mean |s - t|): DFAD's generator loss for segmentation is its negative."""
    return torch.log1p(l1_discrepancy(s, t))


DISCREPANCIES = {"l1": l1_discrepancy, "kl": kl_discrepancy, "log_l1": log_l1_discrepancy}


def discrepancy(name: str, s: torch.Tensor, t: torch.Tensor, *, temperature: float = 1.0):
    """D(s, t) by name: `l1`, `kl` (with temperature) or `log_l1`."""
    if name not in DISCREPANCIES:
        raise unknown_name("discrepancy", name, DISCREPANCIES)
    if name == "kl":
        return kl_discrepancy(s, t, temperature)
    return DISCREPANCIES[name](s, t)
