"""One iteration of ddad, dfad, bn_only and dafl (rows of methods/weighted.py) against a
reference written here with plain torch ops from the public code's semantics: same initial
T, S, G, same seed and hence the same z; the losses and S's and G's parameters (and BN
buffers) after the iteration must agree.

References:
- DFAD (VainF/Data-Free-Adversarial-Distillation, DFAD_cifar.py lines 23-46): 5 (here k)
  student steps, each on a fresh z with G(z).detach() and L1(S(x), T(x)); then one G step on
  a fresh z minimising -L1(S(x), T(x)); S SGD(momentum 0.9, weight decay), G Adam.
- DDAD: the same loop with L_G = alpha L_BN - beta L1, L_BN = sum_l ||mu_l - rm_l||_2 +
  ||var_l - rv_l||_2 over T's BN inputs, biased batch variance; bn_only: L_G = L_BN.
- DAFL (huawei-noah/Efficient-Computing, Data-Efficient-Model-Compression/DAFL/
  DAFL-train.py lines 168-185, kdloss lines 97-101, LeNet lenet.py lines 27-43): one z,
  loss = oh CE(t, argmax t) + ie sum p log10 p + a (-mean |conv3 feature|) + KL(S(x.detach()),
  T(x).detach()) summed / batch, one backward, G and S stepped.
"""

import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller
from ddad_lite.models import build, register

BATCH, NZ = 6, 8


class TinyClassifier(nn.Module):
    """conv-BN-ReLU x2, average pool, linear: a few layers with BatchNorm."""

    def __init__(self, *, width=4, num_classes=10, channels=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, 2, 1), nn.BatchNorm2d(2 * width), nn.ReLU())
        self.head = nn.Linear(2 * width, num_classes)

    def forward_features(self, x):
        return self.features(x).mean((2, 3))

    def forward_head(self, f):
        return self.head(f)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


@register
def ref_tiny_student(*, num_classes=10, channels=3):
    return TinyClassifier(width=3, num_classes=num_classes, channels=channels)


def tiny_teacher(**kwargs):
    """A random teacher whose BN running statistics are not the defaults."""
    torch.manual_seed(123)
    teacher = TinyClassifier(width=4, **kwargs).train()
    with torch.no_grad():
        for _ in range(3):
            teacher(torch.randn(16, 3, 32, 32) * 2 + 0.5)
    return teacher.eval()


def kit_config(dataset, method, **overrides):
    run = dict(batch_size=BATCH, nz=NZ, ngf=4, iterations=1, eval_every=0, snapshot_every=0,
               log_every=0, amp=False, channels_last=False, compile=False, progress=False,
               seed=7)
    return make_config(dataset, method, "smoke", **{**run, **overrides})


def run_kit(cfg, teacher):
    """The kit's iteration, and copies of (T, S, G) as they were before it."""
    d = Distiller(cfg, copy.deepcopy(teacher))
    before = copy.deepcopy((d.T, d.S, d.G))
    logs = d.train_iteration()
    d.close()
    return d, before, {k: v.detach() for k, v in logs.items()}


def z_stream(cfg):
    rng = torch.Generator().manual_seed(cfg.seed)
    return lambda: torch.randn(cfg.batch_size, cfg.nz, generator=rng)


def bn_loss_by_hand(T, x):
    """T(x) and L_BN = sum_l ||mu_l - rm_l||_2 + ||var_l - rv_l||_2 (biased variance)."""
    inputs = []
    hooks = [m.register_forward_hook(lambda m, i, o: inputs.append((m, i[0])))
             for m in T.modules() if isinstance(m, nn.BatchNorm2d)]
    t = T(x)
    for h in hooks:
        h.remove()
    loss = sum(torch.norm(a.mean((0, 2, 3)) - m.running_mean, 2)
               + torch.norm(a.var((0, 2, 3), unbiased=False) - m.running_var, 2)
               for m, a in inputs)
    return t, loss


def reference_alternate(cfg, T, S, G, *, alpha, beta):
    """DFAD's loop: k student steps (L1), then one G step on alpha L_BN - beta L1."""
    next_z = z_stream(cfg)
    T.eval()
    S.train()
    G.train()
    opt_S = torch.optim.SGD(S.parameters(), lr=cfg.lr_student, momentum=0.9,
                            weight_decay=cfg.weight_decay)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr_generator)
    for _ in range(cfg.student_steps):
        z = next_z()
        opt_S.zero_grad()
        fake = G(z).detach()
        t_logit = T(fake)
        s_logit = S(fake)
        loss_S = F.l1_loss(s_logit, t_logit.detach())
        loss_S.backward()
        opt_S.step()
    z = next_z()
    opt_G.zero_grad()
    fake = G(z)
    t_logit, l_bn = bn_loss_by_hand(T, fake)
    loss_G, out = 0.0, {"loss_S": loss_S}
    if alpha:
        loss_G = loss_G + alpha * l_bn
        out["loss_bn"] = l_bn
    if beta:
        adv = F.l1_loss(S(fake), t_logit)
        loss_G = loss_G - beta * adv
        out["loss_adv"] = adv
    loss_G.backward()
    opt_G.step()
    out["loss_G"] = loss_G
    return {k: v.detach() for k, v in out.items()}


def assert_same_state(kit_model, ref_model, *, adam_lr=None, grads=True):
    """The gradients of the step (`grads`) at float32's default tolerance, then parameters
    and buffers. Adam's first step moves each parameter by lr * g / (|g| + eps): for the few g
    within a few eps of 0, the rounding of g (sums taken in another order) shows in the step,
    so after an Adam step each parameter must agree to 1% of the lr (the steps are ~lr)."""
    named = zip(kit_model.named_parameters(), ref_model.parameters(), strict=True)
    for (name, p), q in named if grads else ():
        assert p.grad is not None and q.grad is not None, name
        assert_close(p.grad, q.grad, msg=lambda m, n=name: f"grad of {n}: {m}")
    kit, ref = kit_model.state_dict(), ref_model.state_dict()
    assert kit.keys() == ref.keys()
    tolerance = {} if adam_lr is None else dict(rtol=0, atol=1e-2 * adam_lr)
    for name in kit:
        assert_close(kit[name], ref[name], **tolerance, msg=lambda m, n=name: f"{n}: {m}")


@pytest.mark.parametrize("method, settings, alpha, beta", [
    ("ddad", dict(bn=0.7, adversarial=1.3), 0.7, 1.3),
    ("dfad", {}, 0.0, 1.0),
    ("bn_only", dict(bn=0.5), 0.5, 0.0),
])
@pytest.mark.usefixtures("float64")  # the same math on both sides: float64, so that the
# default tolerances (1e-7) sit ~1e8 float64 roundings above any kernel's order of sums
def test_one_alternate_iteration_matches_the_public_loop(method, settings, alpha, beta):
    cfg = kit_config("shapes", method, student="ref_tiny_student", generator="generator_a",
                     student_steps=3, discrepancy="l1", lr_generator=1e-2, **settings)
    d, (T, S, G), logs = run_kit(cfg, tiny_teacher())
    ref = reference_alternate(cfg, T, S, G, alpha=alpha, beta=beta)
    assert set(ref) == {k for k in logs if k in ref}
    for name, value in ref.items():
        assert_close(logs[name], value, msg=lambda m, n=name: f"{n}: {m}")
    # S's .grad differs by design: DFAD's G step also fills it (zeroed before S's next step).
    assert_same_state(d.S, S, grads=False)
    assert_same_state(d.G, G, adam_lr=cfg.lr_generator)
    assert set(d.method.term_report["terms"]) == {n for n, w in (("bn", alpha), ("adv", beta))
                                                  if w}


def dafl_teacher(*, num_classes, channels):
    """DAFL's LeNet-5 (no BatchNorm), random."""
    torch.manual_seed(321)
    return build("lenet5", num_classes=num_classes, channels=channels).eval()


def reference_dafl(cfg, T, S, G, *, oh, a, ie):
    """DAFL-train.py's iteration (lines 168-185) with its optimisers for the dataset."""
    T.eval()
    S.train()
    G.train()
    if cfg.student_optimizer == "adam":  # MNIST: lines 116-118
        opt_S = torch.optim.Adam(S.parameters(), lr=cfg.lr_student)
    else:  # CIFAR: lines 140-142
        opt_S = torch.optim.SGD(S.parameters(), lr=cfg.lr_student, momentum=0.9,
                                weight_decay=5e-4)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr_generator)
    z = z_stream(cfg)()
    opt_G.zero_grad()
    opt_S.zero_grad()
    gen_imgs = G(z)
    feature = T.features(gen_imgs).view(gen_imgs.shape[0], -1)  # LeNet: conv3's output
    outputs_T = T.head(T.fc(feature))
    pred = outputs_T.data.max(1)[1]
    loss_activation = -feature.abs().mean()
    loss_one_hot = F.cross_entropy(outputs_T, pred)
    softmax_o_T = F.softmax(outputs_T, dim=1).mean(dim=0)
    loss_information_entropy = (softmax_o_T * torch.log10(softmax_o_T)).sum()
    loss = loss_one_hot * oh + loss_information_entropy * ie + loss_activation * a
    loss_G = loss.detach().clone()
    s = S(gen_imgs.detach())
    loss_kd = F.kl_div(F.log_softmax(s, dim=1), F.softmax(outputs_T.detach(), dim=1),
                       reduction="sum") / s.shape[0]
    loss = loss + loss_kd
    loss.backward()
    opt_G.step()
    opt_S.step()
    return {"loss_S": loss_kd.detach(), "loss_G": loss_G, "loss_onehot": loss_one_hot.detach(),
            "loss_activation": loss_activation.detach(),
            "loss_entropy": loss_information_entropy.detach()}


@pytest.mark.parametrize("dataset, weights, channels, classes", [
    ("mnist", (1.0, 0.1, 5.0), 1, 10),  # DAFL-train.py's defaults; S Adam 2e-3, G Adam 0.2
    ("cifar100", (0.5, 0.1, 20.0), 3, 100),  # README's CIFAR-100 command; S SGD 0.1, G 0.02
])
@pytest.mark.usefixtures("float64")  # the same math on both sides: float64, so that the
# default tolerances (1e-7) sit ~1e8 float64 roundings above any kernel's order of sums
def test_one_dafl_iteration_matches_dafl_train(dataset, weights, channels, classes):
    cfg = kit_config(dataset, "dafl", student="lenet5_half", generator="generator_dafl")
    settings = cfg.method_settings["dafl"]
    assert (settings["onehot"], settings["activation"], settings["entropy"]) == weights
    assert settings["entropy_log_base"] == 10.0 and settings["loop"] == "joint"
    d, (T, S, G), logs = run_kit(cfg, dafl_teacher(num_classes=classes, channels=channels))
    oh, a, ie = weights
    ref = reference_dafl(cfg, T, S, G, oh=oh, a=a, ie=ie)
    for name, value in ref.items():
        assert_close(logs[name], value, msg=lambda m, n=name: f"{n}: {m}")
    assert_same_state(d.S, S, adam_lr=cfg.lr_student if cfg.student_optimizer == "adam"
                      else None)
    assert_same_state(d.G, G, adam_lr=cfg.lr_generator)


def test_term_report_measures_each_term_and_reaches_history_and_metrics(capsys):
    cfg = kit_config("shapes", "ddad", student="ref_tiny_student", generator="generator_a",
                     student_steps=1, bn=0.7, adversarial=1.3, log_every=1, progress=True)
    d, (T, S, G), _ = run_kit(cfg, tiny_teacher())
    report = d.method.term_report
    # By hand, on the same first generator batch (the z after the student step's), with G as
    # it was then and S as the student step left it (the G step changes S's BN buffers only,
    # which a training-mode forward does not read).
    next_z = z_stream(cfg)
    next_z()
    G.train()
    d.S.train()
    fake = G(next_z())
    t, l_bn = bn_loss_by_hand(T, fake)
    adv = F.l1_loss(d.S(fake), t)
    for name, weight, loss in (("bn", 0.7, l_bn), ("adv", -1.3, adv)):
        grads = torch.autograd.grad(loss, list(G.parameters()), retain_graph=True)
        norm = torch.sqrt(sum((g**2).sum() for g in grads))
        row = report["terms"][name]
        assert_close(row["value"], loss.item())
        assert_close(row["weighted_value"], weight * loss.item())
        assert_close(row["grad_norm"], float(norm), rtol=1e-4, atol=1e-7)
        assert_close(row["weighted_grad_norm"], abs(weight) * float(norm), rtol=1e-4,
                     atol=1e-7)
    assert "L_G terms at the first batch" in capsys.readouterr().out
    assert d.method.run_metrics(d)["lg_terms"] == report
    d2 = Distiller(cfg, copy.deepcopy(tiny_teacher()))
    d2.fit()
    d2.close()
    assert d2.history["lg_terms"] == [report]
