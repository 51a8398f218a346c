"""DeepInversion and Adaptive DeepInversion against a plain-torch reference of NVlabs' public
code (github.com/NVlabs/DeepInversion: cifar10/deepinversion_cifar10.py, get_images, lines
103-205; deepinversion.py, get_image_prior_losses and get_images, lines 55-66 and 250-353).

Each test makes the kit's pixel update on a tiny teacher (two convolutions with BatchNorm, random
running statistics) and repeats it here with plain torch ops in the public code's order: the
roll (and flip) of the pixels, the BN hooks' norms, CE, TV, the image norm, the competition's
clamped Jensen-Shannon, Adam written out. The loss terms and the pixels after the step must
agree. Both sides run in float64 (the claim is the mathematics): Adam's first steps move a pixel
by about lr * g / (|g| + eps), which magnifies the rounding of gradients near zero up to
lr / eps = 1e8 lr per unit of g, so in float32 one pixel's kernel rounding (AVX512-BF16 CPUs)
moved it by 5e-3 lr; in float64 the same magnification leaves ~1e-13 lr.
"""

import contextlib
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from conftest import float64_close

from ddad_lite.config.building import make_config
from ddad_lite.errors import UserError
from ddad_lite.hardware import grad_scaler, scaled_step
from ddad_lite.methods import Nets, build_method, detached


def tiny_net(seed: int, *, width: int = 4, classes: int = 10, train: bool = False) -> nn.Module:
    """conv-BN-ReLU, conv-BN-ReLU, global pool, linear; BN running statistics drawn at random."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                        nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
                        nn.BatchNorm2d(2 * width), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(2 * width, classes))
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return net.train(train)


def teacher_and_student():
    teacher = tiny_net(0)
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher, tiny_net(1, width=3, train=True)


def fake_engine(teacher, student):
    """The engine's surface (methods.base.Engine) that DeepInversion's pixel steps use."""
    scaler = grad_scaler("cpu", None)  # fp32: a plain backward and step

    def update(loss, optimizer):
        optimizer.zero_grad(set_to_none=True)
        scaled_step(scaler, loss, optimizer)

    return SimpleNamespace(nets=Nets(teacher, student, None), reduce_statistics=None,
                           autocast=contextlib.nullcontext, update=update)


def reference_bn_terms(teacher, x):
    """R_l per BatchNorm2d layer of `teacher` on x, as DeepInversionFeatureHook computes it."""
    terms, hooks = [], []

    def hook(module, inputs, output):
        a = inputs[0]
        nch = a.shape[1]
        mean = a.mean([0, 2, 3])
        var = a.permute(1, 0, 2, 3).contiguous().view([nch, -1]).var(1, unbiased=False)
        terms.append(torch.norm(module.running_var - var, 2)
                     + torch.norm(module.running_mean - mean, 2))

    for m in teacher.modules():
        if isinstance(m, nn.BatchNorm2d):
            hooks.append(m.register_forward_hook(hook))
    out = teacher(x)
    for h in hooks:
        h.remove()
    return out, terms


def reference_steps(teacher, student, x, y, rng_state, s, steps, *, steps_before=0,
                    low=None, high=None):
    """`steps` pixel updates as the public code makes them; returns the pixels and the last
    step's loss terms. `s` holds the kit's settings under their kit names."""
    gen = torch.Generator()
    gen.set_state(rng_state)
    x = x.clone()
    m, v = torch.zeros_like(x), torch.zeros_like(x)
    b1, b2 = s["betas"]
    for k in range(steps):
        x.requires_grad_(True)
        off1, off2 = torch.randint(-s["jitter"], s["jitter"] + 1, (2,), generator=gen).tolist()
        x_jit = torch.roll(x, shifts=(off1, off2), dims=(2, 3))
        if s["flip"] and torch.rand((), generator=gen) < 0.5:
            x_jit = torch.flip(x_jit, dims=(3,))
        outputs, r_feature = reference_bn_terms(teacher, x_jit)
        loss_ce = F.cross_entropy(outputs, y)
        diff1 = x_jit[:, :, :, :-1] - x_jit[:, :, :, 1:]
        diff2 = x_jit[:, :, :-1, :] - x_jit[:, :, 1:, :]
        diff3 = x_jit[:, :, 1:, :-1] - x_jit[:, :, :-1, 1:]
        diff4 = x_jit[:, :, :-1, :-1] - x_jit[:, :, 1:, 1:]
        tv_l2 = torch.norm(diff1) + torch.norm(diff2) + torch.norm(diff3) + torch.norm(diff4)
        tv_l1 = sum((d.abs() / 255.0).mean() for d in (diff1, diff2, diff3, diff4)) * 255.0
        rescale = [s["first_bn_multiplier"]] + [1.0] * (len(r_feature) - 1)
        loss_bn = sum(r * w for r, w in zip(r_feature, rescale, strict=True))
        if s["l2_norm"] == "batch":
            loss_l2 = torch.norm(x_jit, 2)  # CIFAR
        else:
            loss_l2 = torch.norm(x_jit.view(len(x), -1), dim=1).mean()  # ImageNet
        loss = (s["ce"] * loss_ce + s["tv_l2"] * tv_l2 + s["tv_l1"] * tv_l1
                + s["bn"] * loss_bn + s["l2"] * loss_l2)
        terms = {"loss_ce": loss_ce, "loss_bn": loss_bn, "loss_tv_l2": tv_l2,
                 "loss_tv_l1": tv_l1, "loss_l2": loss_l2}
        if s["competition"]:
            student.eval()
            outputs_student = student(x_jit)
            student.train()
            temp = 3.0
            p = F.softmax(outputs_student / temp, dim=1)
            q = F.softmax(outputs / temp, dim=1)
            mix = 0.5 * (p + q)
            p, q, mix = p.clamp(0.01, 0.99), q.clamp(0.01, 0.99), mix.clamp(0.01, 0.99)
            kl_loss = nn.KLDivLoss(reduction="batchmean")
            js = 0.5 * kl_loss(torch.log(p), mix) + 0.5 * kl_loss(torch.log(q), mix)
            terms["loss_competition"] = comp = 1.0 - torch.clamp(js, 0.0, 1.0)
            loss = loss + s["competition"] * comp
        (grad,) = torch.autograd.grad(loss, x)
        x = x.detach()
        step = steps_before + k
        lr = s["pixel_lr"]
        if s["lr_schedule"] == "cosine":  # utils/utils.py, lr_cosine_policy
            warm, total = s["lr_warmup"], s["pixel_steps"] * s["rounds"]
            lr = (lr * (step + 1) / warm if step < warm else
                  0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm))) * lr)
        m = b1 * m + (1 - b1) * grad  # Adam, eps 1e-8
        v = b2 * v + (1 - b2) * grad * grad
        m_hat, v_hat = m / (1 - b1 ** (k + 1)), v / (1 - b2 ** (k + 1))
        x = x - lr * m_hat / (v_hat.sqrt() + 1e-8)
        if s["clip"]:
            x = torch.max(torch.min(x, high), low)
        terms["loss"], terms["grad"] = loss, grad
    return x, {k: t.detach() for k, t in terms.items()}


def assert_same_terms(logs, ref, names):
    for term in names:  # a loss is one reduction: float64 rounding relative to its value
        float64_close(logs[term], ref[term], scale=float(abs(ref[term])) + 1e-300, msg=term)


def assert_same_pixels(method, ref_x, ref, lr):
    # The last step's dL/dx, to float64 rounding of its largest element (conftest).
    float64_close(method.x.grad, ref["grad"], msg="dL/dx")
    # The pixels: Adam's error lr * dg / (|g| + eps) <= 1e8 lr * dg, dg ~ 1e-15 |g|max: 1e-10 lr
    # bounds it with a margin (measured 3e-14 lr under avx512, avx2 and default kernels).
    float64_close(method.x.detach(), ref_x, scale=lr, rel=1e-10, msg="pixels")


def kit_and_reference(cfg):
    teacher, student = teacher_and_student()
    method = build_method(cfg)
    method.setup(fake_engine(teacher, student))
    x0, y, rng_state = method.x.detach().clone(), method.y.clone(), method.rng.get_state()
    s = cfg.method_settings[cfg.method]
    ref_student = tiny_net(1, width=3, train=True)
    ref_x, ref_terms = reference_steps(teacher, ref_student, x0, y, rng_state, s,
                                       s["pixel_steps"], low=method.low, high=method.high)
    loss, logs = method.optimise_pixels(fake_engine(teacher, student))
    loss, logs = loss.detach(), detached(logs)
    method.close()
    return method, student, loss, logs, ref_x, ref_terms


@pytest.mark.usefixtures("float64")
def test_one_pixel_step_matches_nvlabs_cifar10_script():
    cfg = make_config("cifar10", "deepinv", "smoke", batch_size=6, pixel_steps=1)
    s = cfg.method_settings["deepinv"]
    # The recipe is the CIFAR-10 script with its README's "paper parameters".
    assert (s["bn"], s["pixel_lr"], s["tv_l2"], s["tv_l1"], s["l2"]) == (10.0, 0.05, 2.5e-5, 0, 0)
    assert tuple(s["betas"]) == (0.9, 0.999) and s["jitter"] == 2
    assert not s["flip"] and not s["clip"] and s["balanced_targets"]
    assert s["competition"] == 0.0
    whole = make_config("cifar10", "deepinv", "smoke").method_settings["deepinv"]
    assert whole["pixel_steps"] * whole["rounds"] == 2000  # --iters_mi, steps per batch
    method, _, loss, logs, ref_x, ref = kit_and_reference(cfg)
    assert torch.equal(method.y, torch.arange(6) % 10)
    assert_same_terms({"loss": loss, **logs}, ref,
                      ("loss", "loss_ce", "loss_bn", "loss_tv_l2", "loss_tv_l1", "loss_l2"))
    assert_same_pixels(method, ref_x, ref, lr=0.05)


def test_balanced_targets_are_the_cifar_scripts_columns_of_classes():
    cfg = make_config("cifar10", "deepinv", "smoke", batch_size=256)
    method = build_method(cfg)
    expected = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 25 + [0, 1, 2, 3, 4, 5])
    assert torch.equal(method.y, expected)
    random = build_method(make_config("cifar10", "deepinv", "smoke", batch_size=256,
                                      balanced_targets=False))
    assert not torch.equal(random.y, expected) and random.y.max() < 10


@pytest.mark.usefixtures("float64")
def test_imagenet_options_match_nvlabs_deepinversion_py():
    """First-BN multiplier, TV L1 and L2, per-image l2, flips, clipping, Adam betas (0.5, 0.9)
    and the cosine schedule with warm-up: three steps, so the betas and the schedule count."""
    cfg = make_config("shapes", "deepinv", "smoke", batch_size=5, pixel_steps=3, rounds=4,
                      first_bn_multiplier=10.0, tv_l1=0.3, tv_l2=1e-3, l2=0.01,
                      l2_norm="image", flip=True, clip=True, betas="0.5,0.9", jitter=3,
                      lr_schedule="cosine", lr_warmup=2, pixel_lr=0.2, bn=0.05)
    method, _, loss, logs, ref_x, ref = kit_and_reference(cfg)
    assert_same_terms({"loss": loss, **logs}, ref,
                      ("loss", "loss_ce", "loss_bn", "loss_tv_l2", "loss_tv_l1", "loss_l2"))
    assert_same_pixels(method, ref_x, ref, lr=0.2)
    assert method.x.detach().min() >= method.low.min() - 1e-6  # clipped


@pytest.mark.usefixtures("float64")
def test_adaptive_deepinversion_competition_matches_the_reference():
    cfg = make_config("cifar10", "adi", "smoke", batch_size=6, pixel_steps=1)
    assert cfg.method_settings["adi"]["competition"] == 0.2  # NVlabs' README: 0.2
    method, student, loss, logs, ref_x, ref = kit_and_reference(cfg)
    assert 0 < float(logs["loss_competition"]) < 1
    assert_same_terms({"loss": loss, **logs}, ref, ("loss_competition", "loss"))
    assert_same_pixels(method, ref_x, ref, lr=0.05)
    # S only judges: no parameter gradient, BN running statistics untouched (eval mode),
    # and its training mode is given back.
    untouched = tiny_net(1, width=3, train=True)
    assert student.training
    assert all(p.grad is None for p in student.parameters())
    for a, b in zip(student.state_dict().values(), untouched.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    # Without the term the pixels move elsewhere: the competition reaches x.
    plain = make_config("cifar10", "deepinv", "smoke", batch_size=6, pixel_steps=1)
    _, _, _, _, plain_x, _ = kit_and_reference(plain)
    assert not torch.allclose(plain_x, ref_x)


@pytest.mark.parametrize("method, override, message", [
    ("deepinv", dict(competition=0.2), "deepinv fixes competition.*--method adi"),
    ("adi", dict(competition=0.0), "adi needs competition != 0.*--method deepinv"),
    ("deepinv", dict(l2_norm="pixel"), "l2_norm 'pixel' is unknown"),
    ("deepinv", dict(lr_schedule="cosine", lr_warmup=50), "lr_warmup \\(50\\) must be below"),
    ("deepinv", dict(betas="0.5,1.5"), "betas must be two numbers"),
])
def test_deepinversion_settings_are_checked(method, override, message):
    with pytest.raises(UserError, match=message):
        make_config("shapes", method, "smoke", **override)
