"""The checks of the exercises where the learner writes code: each runs the learner's function
beside the kit's own on the same network and batch, and names in one line what differs.

  02, 4  the BN hook: `bn_hook(module, inputs, output)`, a forward hook on a BatchNorm2d layer
         that stores `module.bn_record = {"mu": mu, "var": var, "R": R}`, the batch mean and
         biased variance of the layer's input (per channel) and
         R_l = ||mu - running_mean||_2 + ||var - running_var||_2, as `losses.BNStatsHook`.
  03, 4  DDAD's generator loss: `generator_loss(x, *, T, S, alpha, beta, bn_loss, D)` returns
         L_G = alpha L_BN(T, x) - beta D(S(x), T(x)), with S a fixed discriminator (no gradient
         into its weights), as `methods/ddad.py` (`DDAD.generator_loss`).

The notebook passes its teacher (`check("02", 4, answer_4, teacher=teacher)`); without one
(the tests of the worked solutions) the check builds a stand-in: the notebook's teacher
architecture, untrained, whose running statistics come from a few batches of shifted noise.

Tolerances. The hook runs in float64 on a copy of the teacher: any correct formula (two-pass
variance, E[a^2] - E[a]^2, a norm written as a square root of a sum) agrees with the kit's to
about 1e-13 relative, so `HOOK_RTOL` = 1e-7 leaves a margin of a million, while the smallest
real mistake, the unbiased variance, differs by 1/(n - 1) >= 1/8191 (n = 8 images x 32 x 32
values per channel at the first layer; more at the others). L_G is compared in float32, the
dtype the engine trains in: the learner's value and gradient are the same forward and backward
passes of the same networks as the kit's, summed in another order, so they agree to a few
float32 roundings (1.2e-7 relative); `LOSS_RTOL` = 1e-5 is a hundred times that, while a
wrong sign or a missing term changes L_G or G's gradient by a whole term.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn

from ..config.building import make_config
from ..data import dataset_info
from ..losses import BNStatistics, l1_discrepancy
from ..models import freeze
from ..teacher.training import build_teacher
from .exercises import NotYet, exercise

HOOK_RTOL, HOOK_ATOL = 1e-7, 1e-10
LOSS_RTOL = 1e-5
HOOK_BATCH = 8
# The check's own weights of L_G: unequal, so that swapping alpha and beta shows.
ALPHA, BETA = 0.5, 2.0


def stand_in_teacher(dataset: str = "shapes", *, seed: int = 0) -> nn.Module:
    """The notebooks' teacher architecture for `dataset`, untrained, with running statistics
    gathered in training mode from 4 batches of shifted, scaled noise (so they are neither 0
    nor 1), then frozen."""
    recipe = make_config(dataset, "ddad", "smoke", progress=False).teacher_recipe
    info = dataset_info(dataset)
    torch.manual_seed(seed)
    teacher = build_teacher(recipe).train()
    with torch.no_grad():
        for _ in range(4):
            teacher(1.5 * torch.randn(16, info.channels, info.image_size, info.image_size) + 0.3)
    return freeze(teacher)


def _is(a, b, rtol=HOOK_RTOL, atol=HOOK_ATOL) -> bool:
    return (torch.is_tensor(a) and a.shape == b.shape
            and torch.allclose(a.detach(), b.detach(), rtol=rtol, atol=atol))


# ---- 02, 4: the BN hook -------------------------------------------------------------------
@exercise("02", 4)
def _bn_hook(answer, *, teacher: nn.Module | None = None, dataset: str = "shapes") -> str:
    """A forward hook that stores mu, var (biased) and R_l on `module.bn_record`."""
    if not callable(answer):
        raise NotYet("give the hook function itself: answer_4 = bn_hook")
    T = copy.deepcopy(teacher if teacher is not None else stand_in_teacher(dataset))
    T = freeze(T.double())
    layers = [(n, m) for n, m in T.named_modules() if isinstance(m, nn.BatchNorm2d)]
    if not layers:
        raise NotYet("this teacher has no BatchNorm2d layer to hook")
    info = dataset_info(dataset)
    x = torch.randn(HOOK_BATCH, info.channels, info.image_size, info.image_size,
                    dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x.requires_grad_(True)
    kit = BNStatistics(T)
    seen, returned = {}, []

    def learner(module, inputs, output):
        # Copies: an in-place ReLU after the layer overwrites its output.
        seen[module] = (inputs[0].detach().clone(), output.detach().clone())
        returned.append(answer(module, inputs, output))

    handles = [m.register_forward_hook(learner) for _, m in layers]
    try:
        try:
            T(x)
        except Exception as error:  # the learner's code: say what it raised, in one line
            shape = (" (a shape: mu and var hold one value per channel, dim=(0, 2, 3))"
                     if "size of tensor" in str(error) else "")
            raise NotYet(f"your hook raised {type(error).__name__}: {error}{shape}") from None
        finally:
            for h in handles:
                h.remove()
        kit_rows = {h.module: h for h in kit.hooks}
        if any(r is not None for r in returned):
            raise NotYet("your hook returns a value: a forward hook's return value replaces "
                         "the layer's output; store the record on module.bn_record and "
                         "return nothing")
        for name, module in layers:
            _compare_record(name, module, kit_rows[module], *seen[module])
        total = float(kit.loss().detach())
    finally:
        kit.remove()
    return (f"your hook agrees with the kit's BNStatsHook on all {len(layers)} BN layers "
            f"(a random batch of {HOOK_BATCH}, float64, to {HOOK_RTOL:g} relative): "
            f"L_BN = {total:.4g} on that noise")


def _compare_record(name: str, module, kit, a: torch.Tensor, out: torch.Tensor) -> None:
    """Raise NotYet naming the first thing in which `module.bn_record` differs from the kit's
    hook `kit` (mean, var, loss of layer `name`); `a` is the layer's input, `out` its output."""
    record = getattr(module, "bn_record", None)
    if not isinstance(record, dict):
        raise NotYet("your hook stored nothing: end it with module.bn_record = "
                     "{'mu': mu, 'var': var, 'R': R}")
    missing = [k for k in ("mu", "var", "R") if record.get(k) is None]
    if missing:
        raise NotYet(f"{', '.join(missing)} still None in module.bn_record: fill in your code")
    mu, var, R = record["mu"], record["var"], record["R"]
    if not all(torch.is_tensor(v) for v in (mu, var, R)):
        raise NotYet("mu, var and R should be tensors (keep them in torch, no .item() or "
                     ".tolist(): L_BN must carry a gradient)")
    C = a.shape[1]
    dims = (0, 2, 3)
    for label, value in (("mu", mu), ("var", var)):
        if tuple(value.shape) != (C,):
            raise NotYet(f"at layer {name}, {label} has shape {tuple(value.shape)}, not ({C},):"
                         f" one value per channel, over the batch and both spatial "
                         f"dimensions (dim={dims})")
    if not _is(mu, kit.mean):
        if _is(mu, out.mean(dim=dims)):
            raise NotYet("mu is the mean of the layer's output (already normalised): take "
                         "the statistics of its input, inputs[0]")
        raise NotYet(f"at layer {name}, mu is not the per-channel mean of inputs[0] over "
                     f"dim={dims}")
    n = a.numel() // C
    if not _is(var, kit.var):
        if _is(var, kit.var * n / (n - 1)):
            raise NotYet("var is the unbiased variance (divided by n - 1); R_l compares the "
                         "biased one: a.var(dim=(0, 2, 3), unbiased=False)")
        if _is(var, kit.var.sqrt()):
            raise NotYet("var is the standard deviation: R_l compares variances")
        if _is(var, out.var(dim=dims, unbiased=False)):
            raise NotYet("var is the variance of the layer's output: take its input, inputs[0]")
        if _is(var, kit.var, rtol=1e-4, atol=1e-7):
            raise NotYet("var agrees only to float32 rounding: compute in the input's dtype "
                         "(no .float())")
        raise NotYet(f"at layer {name}, var is not the biased per-channel variance of "
                     f"inputs[0] over dim={dims}")
    if R.numel() != 1:
        raise NotYet(f"R has shape {tuple(R.shape)}: R_l is one number per layer, the sum of "
                     "two norms over the channels")
    R = R.reshape(())
    rm, rv = module.running_mean, module.running_var
    norm = torch.linalg.vector_norm
    wrong = [
        (norm(mu) + norm(var), "R ignores the running statistics: compare mu with "
         "module.running_mean and var with module.running_var"),
        (norm(mu - rm) ** 2 + norm(var - rv) ** 2, "R uses squared norms: R_l is the sum "
         "of plain L2 norms, torch.linalg.vector_norm(...)"),
        ((mu - rm).abs().sum() + (var - rv).abs().sum(), "R uses L1 norms (sums of "
         "absolute values): R_l uses L2 norms"),
        (norm(mu - rm), "R has only the mean's term: add ||var - running_var||_2"),
        (norm(var - rv), "R has only the variance's term: add ||mu - running_mean||_2"),
        (norm(mu - rm) + norm(var - rv.sqrt()), "R compares var with the running standard "
         "deviation: running_var is a variance already"),
    ]
    if not _is(R, kit.loss):
        for value, hint in wrong:
            if _is(R, value):
                raise NotYet(hint)
        raise NotYet(f"at layer {name}, R = {float(R):.6g}, not ||mu - running_mean||_2 + "
                     f"||var - running_var||_2 = {float(kit.loss):.6g}")
    if not R.requires_grad:
        raise NotYet("R carries no gradient (.detach(), .item() or torch.no_grad() inside the "
                     "hook): L_BN must pass a gradient to the images")


# ---- 03, 4: DDAD's generator loss ---------------------------------------------------------
@exercise("03", 4)
def _generator_loss(answer, *, teacher: nn.Module | None = None,
                    dataset: str = "shapes") -> str:
    """generator_loss(x, T=, S=, alpha=, beta=, bn_loss=, D=) -> alpha L_BN - beta D."""
    if not callable(answer):
        raise NotYet("give the function itself: answer_4 = generator_loss")
    from ..engine import Distiller  # a run's T, S, G and DDAD's own L_G (methods/ddad.py)
    from ..methods.base import no_param_grad

    cfg = make_config(dataset, "ddad", "smoke", bn=ALPHA, adversarial=BETA, device="cpu",
                      amp=False, channels_last=False, compile=False, progress=False, seed=0)
    T0 = teacher if teacher is not None else stand_in_teacher(dataset)
    e = Distiller(cfg, freeze(copy.deepcopy(T0).float().cpu()))
    try:
        T, S, G = e.nets
        z = e.sample_z()
        # The kit's L_G, with S fixed as in DDAD's iteration, and its gradient on G.
        with no_param_grad(S):
            kit_loss, terms = e.method.generator_loss(e, G(z))
        kit_grads = torch.autograd.grad(kit_loss, list(G.parameters()))
        L_BN, D = float(terms["loss_bn"]), float(terms["loss_adv"])
        # The learner's, on the same z (hence the same x), with hooks of its own on T.
        G.zero_grad(set_to_none=True)
        S.zero_grad(set_to_none=True)
        bn = BNStatistics(T)
        try:
            loss = answer(G(z), T=T, S=S, alpha=ALPHA, beta=BETA, bn_loss=bn.loss,
                          D=l1_discrepancy)
        except Exception as error:  # the learner's code: say what it raised, in one line
            raise NotYet(f"your function raised {type(error).__name__}: {error}") from None
        finally:
            bn.remove()
        _compare_loss(loss, float(kit_loss), L_BN, D)
        loss.backward()
        S_grad = [p.grad for p in S.parameters() if p.grad is not None]
        if any(bool(g.abs().sum() > 0) for g in S_grad):
            raise NotYet("S's weights received a gradient from L_G: in G's step S is a fixed "
                         "discriminator; compute S(x) inside `with no_param_grad(S):`")
        scale = max(float(g.abs().max()) for g in kit_grads)
        for p, ref in zip(G.parameters(), kit_grads, strict=True):
            if p.grad is None or not torch.allclose(p.grad, ref, rtol=LOSS_RTOL,
                                                    atol=LOSS_RTOL * scale):
                raise NotYet("L_G's value is right but G's gradient is not: S(x) or T(x) was "
                             "computed without a graph (torch.no_grad() or .detach()), so G "
                             "cannot learn from that term; no_param_grad(S) freezes S's "
                             "weights and keeps the path through x")
    finally:
        e.close()
    return (f"L_G = {ALPHA:g} x {L_BN:.4g} - {BETA:g} x {D:.4g} = {float(kit_loss):.4g}, as the "
            "kit's DDAD.generator_loss, with the same gradient on G and none on S")


def _compare_loss(loss, kit: float, L_BN: float, D: float) -> None:
    """Raise NotYet naming what `loss` computed instead of alpha L_BN - beta D (= kit)."""
    if not torch.is_tensor(loss) or loss.numel() != 1:
        raise NotYet("return L_G as a one-number tensor (the loss G's optimiser minimises)")
    value = float(loss)
    wrong = [
        (ALPHA * L_BN + BETA * D, "the adversarial term has the wrong sign: G maximises the "
         "discrepancy, so L_G = alpha L_BN - beta D"),
        (-(ALPHA * L_BN - BETA * D), "the whole sign is flipped: G minimises L_G = "
         "alpha L_BN - beta D"),
        (BETA * L_BN - ALPHA * D, "alpha and beta are swapped: alpha weighs L_BN, beta the "
         "discrepancy"),
        (L_BN - D, "the weights are missing: L_G = alpha L_BN - beta D"),
        (ALPHA * L_BN, "the adversarial term is missing: - beta D(S(x), T(x))"),
        (-BETA * D, "the BN term is missing: alpha bn_loss()"),
    ]
    if abs(value - kit) <= LOSS_RTOL * max(abs(kit), 1.0):
        if not loss.requires_grad:
            raise NotYet("L_G carries no gradient (computed under torch.no_grad() or "
                         "detached): G could not learn from it")
        return
    for candidate, hint in wrong:
        if abs(value - candidate) <= LOSS_RTOL * max(abs(candidate), 1.0):
            raise NotYet(hint)
    raise NotYet(f"L_G = {value:.6g}, not alpha L_BN - beta D = {ALPHA:g} x {L_BN:.6g} - "
                 f"{BETA:g} x {D:.6g} = {kit:.6g}")

