"""One DFAD segmentation iteration of the kit against a plain reference of DFAD's loop.

The reference follows DFAD's `train` in DFAD_camvid_deeplab.py / DFAD_nyu_deeplab.py
(VainF/Data-Free-Adversarial-Distillation, lines 22-49 / 22-52), written here with plain
torch ops: T in eval mode, S and G in train mode; k student steps, each on a fresh
x = G(z) with G's graph cut, minimising the L1 distance of the per-pixel logits,

    L_S = mean over (b, c, h, w) of |S(x) - T(x)|,

with SGD (momentum 0.9, weight decay); then one generator step minimising

    L_G = -log(L1(S(x), T(x)) + 1)

with Adam. The kit's engine (`dfad` on the `scenes` recipe: `discrepancy="l1"`,
`generator_discrepancy="log_l1"`) must give the same losses and the same S and G (weights
and BN buffers) after one iteration, from the same initial models and the same z.
"""

import copy

import pytest
import torch

from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller
from ddad_lite.models import build, freeze

NZ, BATCH, K = 16, 4, 2


def tiny_config(**overrides):
    settings = dict(iterations=1, batch_size=BATCH, student_steps=K, nz=NZ, ngf=4,
                    generator="generator_b", student_kwargs={"widths": (4, 8)},
                    lr_milestones=(), amp=False, channels_last=False, eval_every=0,
                    snapshot_every=0, log_every=0, progress=False, seed=3)
    settings.update(overrides)
    return make_config("scenes", "dfad", "smoke", **settings)


def tiny_teacher():
    torch.manual_seed(11)
    teacher = build("segnet_teacher", num_classes=6, widths=(6, 12))
    for m in teacher.modules():  # running statistics unlike a fresh BN's
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    return freeze(teacher)


def reference_iteration(T, S, G, cfg):
    """DFAD's loop, step by step, on copies of the kit's initial models."""
    opt_S = torch.optim.SGD(S.parameters(), lr=cfg.lr_student, momentum=0.9,
                            weight_decay=cfg.weight_decay)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.lr_generator)
    rng = torch.Generator().manual_seed(cfg.seed)  # the kit draws z from its own generator
    T.eval()
    S.train()
    G.train()
    for _ in range(cfg.student_steps):
        z = torch.randn(cfg.batch_size, cfg.nz, generator=rng)
        opt_S.zero_grad()
        fake = G(z).detach()
        t_logit = T(fake)
        s_logit = S(fake)
        loss_S = (s_logit - t_logit.detach()).abs().mean()
        loss_S.backward()
        opt_S.step()
    z = torch.randn(cfg.batch_size, cfg.nz, generator=rng)
    opt_G.zero_grad()
    fake = G(z)
    t_logit = T(fake)
    s_logit = S(fake)
    loss_G = -torch.log((s_logit - t_logit).abs().mean() + 1)
    loss_G.backward()
    opt_G.step()
    return loss_S.detach(), loss_G.detach()


@pytest.mark.usefixtures("float64")  # the same math on both sides: float64, so that the
# default tolerances (1e-7) sit ~1e8 float64 roundings above any kernel's order of sums
def test_one_dfad_segmentation_iteration_matches_the_reference():
    cfg = tiny_config()
    assert (cfg.settings_of("dfad")["discrepancy"], cfg.settings_of("dfad")
            ["generator_discrepancy"]) == ("l1", "log_l1")
    engine = Distiller(cfg, tiny_teacher())
    T, S, G = (copy.deepcopy(m) for m in (engine.T, engine.S, engine.G))
    for p in T.parameters():  # DFAD's teacher is not frozen; only its mode is eval
        p.requires_grad_(True)

    S0, G0 = copy.deepcopy(S), copy.deepcopy(G)
    losses = engine.train_iteration()
    ref_S, ref_G = reference_iteration(T, S, G, cfg)

    torch.testing.assert_close(losses["loss_S"], ref_S)
    torch.testing.assert_close(losses["loss_G"], ref_G)
    assert ref_G < 0  # the generator maximises the disagreement
    for name, kit, ref in (("S", engine.S, S), ("G", engine.G, G)):
        kit_state, ref_state = kit.state_dict(), ref.state_dict()
        assert kit_state.keys() == ref_state.keys()
        for key in kit_state:
            torch.testing.assert_close(kit_state[key], ref_state[key], msg=f"{name}.{key}")
    for before, after in ((S0, engine.S), (G0, engine.G)):  # the comparison is not vacuous
        assert any(not torch.allclose(a, b) for a, b in zip(before.parameters(),
                                                            after.parameters(), strict=True))
    for key, value in engine.T.state_dict().items():  # the teacher is left as it was
        torch.testing.assert_close(value, T.state_dict()[key])
