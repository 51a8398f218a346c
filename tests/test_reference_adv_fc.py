"""`adv_fc` (the kit's interpretation of Adversarial*: only its abstract is public) against a
plain-torch reference written from the kit's own documented equations
(ddad_lite/methods/adversarial_fc.py, the module docstring):

    student step (k = 1), x = G(z) without gradient, t = T(x), s = S(x):
        L_S = L1(s, t) + fc_adversarial * BCE(D_fc(softmax(s / tau)), 1)     SGD step on S
        L_D = BCE(D_fc(softmax(t / tau)), 1) + BCE(D_fc(softmax(s / tau)), 0) Adam (0.5, 0.999)
    generator step, a fresh z:
        L_G = bn * L_BN(T, G(z)) - adversarial * L1(S(G(z)), T(G(z)))         Adam step on G

One iteration of the engine on a tiny teacher must give the same losses, and the same S, G and
D_fc (parameters and BN buffers) as these equations with SGD and Adam written out.
"""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from test_reference_deepinv import tiny_net

from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller


def bn_loss(teacher, x):
    """T(x) and L_BN = sum_l ||mu_l - running_mean_l|| + ||var_l - running_var_l||."""
    terms, hooks = [], []

    def hook(module, inputs, output):
        a = inputs[0]
        mean, var = a.mean([0, 2, 3]), a.var([0, 2, 3], unbiased=False)
        terms.append(torch.norm(mean - module.running_mean) + torch.norm(var - module.running_var))

    for m in teacher.modules():
        if isinstance(m, nn.BatchNorm2d):
            hooks.append(m.register_forward_hook(hook))
    t = teacher(x)
    for h in hooks:
        h.remove()
    return t, sum(terms)


def bce_with_logits(logit, target: float):
    """Binary cross-entropy of sigmoid(logit) against a constant 0 or 1, batch mean."""
    return F.softplus(-logit).mean() if target == 1 else F.softplus(logit).mean()


def sgd_step(params, grads, *, lr, momentum, weight_decay):
    """torch's SGD on its first step: buffer = g + wd * p, p <- p - lr * buffer."""
    del momentum  # the first step's buffer is the gradient itself
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p -= lr * (g + weight_decay * p)


def adam_step(params, grads, *, lr, betas, eps=1e-8):
    """Adam's first step (bias-corrected m = g, v = g^2)."""
    b1, b2 = betas
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            m_hat = (1 - b1) * g / (1 - b1)
            v_hat = (1 - b2) * g * g / (1 - b2)
            p -= lr * m_hat / (v_hat.sqrt() + eps)


def test_one_adv_fc_iteration_matches_its_documented_equations():
    cfg = make_config("shapes", "adv_fc", "smoke", batch_size=6, student_steps=1, nz=16,
                      ngf=8, fc_adversarial=0.5, temperature=2.0, progress=False)
    w = cfg.method_settings["adv_fc"]
    teacher = tiny_net(0)
    d = Distiller(cfg, copy.deepcopy(teacher))
    S, G, D_fc = (copy.deepcopy(m) for m in (d.S, d.G, d.method.D_fc))
    T = d.T  # frozen: no step changes it
    gen = torch.Generator()
    gen.set_state(d.rng.get_state())

    logs = d.train_iteration()  # the kit: one iteration (k = 1 student step, 1 generator step)

    # The reference: the student step.
    S.train()
    G.train()
    with torch.no_grad():
        x = G(torch.randn(cfg.batch_size, cfg.nz, generator=gen))
        t = T(x)
    s = S(x)
    loss_kd = (s - t).abs().mean()
    loss_fc_adv = bce_with_logits(D_fc(F.softmax(s / w["temperature"], dim=1)), 1)
    loss_S = loss_kd + w["fc_adversarial"] * loss_fc_adv
    s_params = list(S.parameters())
    sgd_step(s_params, torch.autograd.grad(loss_S, s_params), lr=cfg.lr_student,
             momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    # D_fc: teacher outputs are "real", the student's (before its update) "fake".
    loss_D = (bce_with_logits(D_fc(F.softmax(t / w["temperature"], dim=1)), 1)
              + bce_with_logits(D_fc(F.softmax(s.detach() / w["temperature"], dim=1)), 0))
    d_params = list(D_fc.parameters())
    adam_step(d_params, torch.autograd.grad(loss_D, d_params), lr=w["fc_lr"],
              betas=(0.5, 0.999))
    # The generator step, on a fresh z, against the updated S.
    x = G(torch.randn(cfg.batch_size, cfg.nz, generator=gen))
    t, loss_bn = bn_loss(T, x)
    loss_adv = (S(x) - t).abs().mean()
    loss_G = w["bn"] * loss_bn - w["adversarial"] * loss_adv
    g_params = list(G.parameters())
    adam_step(g_params, torch.autograd.grad(loss_G, g_params), lr=cfg.lr_generator,
              betas=(0.9, 0.999))

    expected = {"loss_S": loss_S, "loss_kd": loss_kd, "loss_fc_adv": loss_fc_adv,
                "loss_D_fc": loss_D, "loss_G": loss_G, "loss_bn": loss_bn, "loss_adv": loss_adv}
    for name, value in expected.items():
        torch.testing.assert_close(logs[name], value.detach(), msg=name)
    for kit, ref in ((d.S, S), (d.G, G), (d.method.D_fc, D_fc)):
        for (key, a), b in zip(kit.state_dict().items(), ref.state_dict().values(), strict=True):
            torch.testing.assert_close(a, b, msg=key)
    assert float(loss_fc_adv.detach()) > 0 and float(loss_adv.detach()) > 0
    assert w["bn"] == w["adversarial"] == 1
