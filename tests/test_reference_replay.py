"""One update of "+replay" against a plain reference of PRE-DFKD's public code
(kuluhan/PRE-DFKD: distillation.py `distill_knowledge` lines 8-43 and
`train_memory_generator` lines 72-148; networks/generator.py `Encoder` lines 98-140 and
`MemoryGenerator` lines 52-96), and the "+buffer" baseline: its bytes, its order, its resume.

The reference is written here with functional torch ops from the code's semantics, on tiny
networks with BatchNorm: the same z, the same noise, then the student's loss and parameters,
and the VAE's loss, parameters and BN statistics after one student step must agree.
"""

import copy
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ddad_lite.config.building import make_config
from ddad_lite.engine import Distiller
from ddad_lite.errors import UserError
from ddad_lite.methods import build_method

LATENT, WIDTH, BATCH = 16, 8, 16
# A convolution's bias right before a BatchNorm in training mode has an exact gradient of 0;
# its computed gradient is rounding noise, which Adam's first step scales up to +-lr.
BIAS_BEFORE_BN = {f"{part}.{block}.0.bias" for part, block in (
    ("encoder", "block0"), ("encoder", "block1"), ("encoder", "block2"),
    ("decoder", "block1"), ("decoder", "block2"))}


def tiny_net(out=10):
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.Conv2d(4, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, out))
    for m in net.modules():  # running statistics unlike the initial ones
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return net


def tiny_generator(nz):
    torch.manual_seed(4)
    return nn.Sequential(nn.Linear(nz, 3 * 32 * 32), nn.Unflatten(1, (3, 32, 32)),
                         nn.BatchNorm2d(3))


def replay_distiller(method="ddad+replay", *, tiny=True, **overrides):
    overrides = {"student_steps": 1, **overrides}
    cfg = make_config("shapes", method, "smoke", batch_size=BATCH, replay_latent=LATENT,
                      replay_width=WIDTH, progress=False, **overrides)
    d = Distiller(cfg, tiny_net())
    if not tiny:  # the recipe's student and generator, with their optimisers
        return d
    d.S, d.G = tiny_net(), tiny_generator(cfg.nz)
    d.opt_S = torch.optim.SGD(d.S.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return d


# ---- PRE-DFKD's VAE, written with functional ops on a copy of the kit's tensors ---------------
def bn(P, h, name, eps, train):
    return F.batch_norm(h, P[name + ".running_mean"], P[name + ".running_var"],
                        P.get(name + ".weight"), P.get(name + ".bias"), training=train,
                        momentum=0.1, eps=eps)


def conv(P, h, name, stride=1):
    return F.conv2d(h, P[name + ".weight"], P[name + ".bias"], stride=stride, padding=1)


def ref_decode(P, z, train):  # MemoryGenerator.forward
    init = 32 // 4
    h = F.linear(z, P["decoder.project.weight"], P["decoder.project.bias"])
    h = bn(P, h.view(len(z), WIDTH, init, init), "decoder.bn0", 1e-5, train)
    h = F.interpolate(h, scale_factor=2)
    h = F.leaky_relu(bn(P, conv(P, h, "decoder.block1.0"), "decoder.block1.1", 0.8, train), 0.2)
    h = F.interpolate(h, scale_factor=2)
    h = F.leaky_relu(bn(P, conv(P, h, "decoder.block2.0"), "decoder.block2.1", 0.8, train), 0.2)
    return bn(P, torch.tanh(conv(P, h, "decoder.out.0")), "decoder.out.2", 1e-5, train)


def ref_encode(P, x):  # Encoder.forward (always in train mode), before the sampling
    h = F.normalize(x, p=2, dim=2)
    h = F.leaky_relu(bn(P, conv(P, h, "encoder.block0.0"), "encoder.block0.1", 0.8, True), 0.2)
    h = F.leaky_relu(bn(P, conv(P, h, "encoder.block1.0"), "encoder.block1.1", 0.8, True), 0.2)
    h = F.interpolate(h, scale_factor=0.5)
    h = bn(P, conv(P, h, "encoder.block2.0", stride=2), "encoder.block2.1", 1e-5, True)
    h = F.interpolate(h, scale_factor=0.5).reshape(len(x), -1)
    return (F.linear(h, P["encoder.fc_mu.weight"], P["encoder.fc_mu.bias"]),
            F.linear(h, P["encoder.fc_var.weight"], P["encoder.fc_var.bias"]))


def ref_tune_z(P, T, z, train):  # the latent tuning of both functions (one step, lr lr_G)
    z = z.clone().requires_grad_(True)
    opt_z = torch.optim.Adam([z], lr=0.02)
    out = T(ref_decode(P, z, train))
    p_bar = F.softmax(out, dim=1).mean(0)
    loss = (p_bar * torch.log10(p_bar)).sum() * 5 + F.cross_entropy(out, out.argmax(1)) * 1
    loss = loss + F.mse_loss(z.var(0), torch.ones(LATENT)) + F.mse_loss(z.mean(0),
                                                                        torch.zeros(LATENT))
    loss.backward()  # as the code: the gradient also lands in the decoder's parameters
    opt_z.step()
    return z.detach()


@pytest.mark.parametrize("step", [0, 1])  # the first iteration has no self-rehearsal
def test_one_student_step_and_vae_update_equal_pre_dfkd(step):
    d = replay_distiller()
    replay = d.method
    T, S, G = d.T, copy.deepcopy(d.S), copy.deepcopy(d.G)
    initial = copy.deepcopy(replay.V.state_dict())
    P = {k: v.clone().float() for k, v in initial.items()
         if not k.endswith("num_batches_tracked")}
    params = [v.requires_grad_(True) for k, v in P.items() if "running" not in k]
    opt_S = torch.optim.SGD(S.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt_V = torch.optim.Adam(params, lr=5e-4)  # optimizer_G2 and optimizer_E, both lr_G / 40
    g_z = torch.Generator().set_state(d.rng.get_state())
    g_m = torch.Generator().set_state(replay.rng.get_state())
    d.step = step

    with torch.no_grad():  # the kit: a student step of DDAD's iteration with "+replay"
        x_kit = d.G(d.sample_z())
    loss_S = replay.base.distil(d, x_kit, memory=replay)

    # distill_knowledge: 1024 novel + 128 memory samples (here 16 + 2), L1 on the logits.
    z = torch.randn(BATCH, d.cfg.nz, generator=g_z)
    x = G(z)
    z_mem = ref_tune_z(P, T, torch.randn(2, LATENT, generator=g_m), train=False)
    with torch.no_grad():
        batch = torch.cat([x.detach(), ref_decode(P, z_mem, train=False)])
    ref_loss_S = F.l1_loss(S(batch), T(batch).detach())
    opt_S.zero_grad()
    ref_loss_S.backward()
    opt_S.step()
    # train_memory_generator: half the novel batch (+ tuned memory samples after iteration 0).
    opt_V.zero_grad()
    x_c = x[: BATCH // 2].detach()
    if step > 0:
        z_r = ref_tune_z(P, T, torch.randn(2, LATENT, generator=g_m), train=True)
        with torch.no_grad():
            x_c = torch.cat([x_c, ref_decode(P, z_r, train=True)])
    with torch.no_grad():
        t_c = T(x_c)
    eps = torch.randn(len(x_c), LATENT, generator=g_m)
    mu, log_var = ref_encode(P, x_c)
    x_rec = ref_decode(P, eps * torch.exp(0.5 * log_var) + mu, train=True)
    recons = F.l1_loss(x_rec, x_c) + F.l1_loss(T(x_rec), t_c)
    kld = 1e-5 * torch.mean(-0.5 * torch.sum(1 + log_var - mu**2 - log_var.exp(), dim=1), dim=0)
    (recons + kld).backward()
    opt_V.step()

    torch.testing.assert_close(loss_S, ref_loss_S.detach())
    torch.testing.assert_close(replay._logs["loss_vae"], (recons + kld).detach())
    for a, b in zip(d.S.state_dict().values(), S.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    kit = replay.V.state_dict()
    for k, v in P.items():
        if k in BIAS_BEFORE_BN:  # d loss / d bias = 0 up to rounding, which Adam normalises
            assert (kit[k] - initial[k]).abs().max() <= 5e-4 * 1.001  # one step: |du| <= lr
            continue
        torch.testing.assert_close(kit[k], v.detach(), msg=k)
    assert replay.samples_seen == BATCH // 2
    d.close()


def test_vae_learns_from_its_first_steps_only_and_replays_an_eighth():
    d = replay_distiller(tiny=False, student_steps=6)
    assert d.method.replay_size == 2  # 1024 novel : 128 replayed
    d.train_iteration()
    assert d.method.samples_seen == 4 * BATCH // 2  # dist_step < 4, batch_size // 2
    d.close()


@pytest.mark.parametrize("first", [True, False])
def test_generator_first_is_pre_dfkds_order(first):
    d = replay_distiller(tiny=False, student_steps=3, replay_generator_first=first)
    calls, real_update = [], d.update
    d.update = lambda losses, optimizers: (
        calls.append("G" if optimizers is d.opt_G else "S"), real_update(losses, optimizers))
    d.method.iteration(d)
    assert calls == (["G", "S", "S", "S"] if first else ["S", "S", "S", "G"])
    d.close()


# ---- the equal-bytes buffer ----------------------------------------------------------------
def buffer_method(**overrides):
    cfg = make_config("shapes", "ddad+buffer", "smoke", batch_size=BATCH, progress=False,
                      replay_latent=LATENT, replay_width=WIDTH, **overrides)
    return build_method(cfg)


def numbered(first, n):
    """n images whose every pixel is their number (in the data's normalised units)."""
    values = torch.arange(first, first + n, dtype=torch.float32) / 255
    images = values.view(-1, 1, 1, 1).expand(n, 3, 32, 32)
    return (images - 0.5) / 0.3  # shapes' mean and std


def stored_numbers(buffer):
    return buffer.images[: buffer.filled, 0, 0, 0].tolist()


def feed(buffer, first, n):
    buffer.learn(None, numbered(first, n), None)
    buffer.samples_seen += n


def test_buffer_holds_at_most_the_vae_bytes():
    buffer = buffer_method()
    vae = build_method(make_config("shapes", "ddad+replay", "smoke", replay_latent=LATENT,
                                   replay_width=WIDTH, progress=False))
    assert buffer.bytes_budget == vae.memory_bytes()
    assert buffer.memory_bytes() <= vae.memory_bytes() < buffer.memory_bytes() + 3 * 32 * 32
    assert buffer.images.numel() * buffer.images.element_size() == buffer.memory_bytes()
    as_float = buffer_method(buffer_dtype="float32", buffer_bytes=10 * 4 * 3 * 32 * 32 + 5)
    assert as_float.capacity == 10 and as_float.images.dtype == torch.float32
    with pytest.raises(UserError, match="buffer_bytes"):
        buffer_method(buffer_bytes=100)


def test_fifo_keeps_the_latest_images_in_a_ring():
    buffer = buffer_method(buffer_policy="fifo", buffer_bytes=5 * 3 * 32 * 32)
    feed(buffer, 0, 3)
    assert stored_numbers(buffer) == [0, 1, 2]
    feed(buffer, 3, 4)  # 7 seen: slots 0, 1 overwritten by 5, 6
    assert stored_numbers(buffer) == [5, 6, 2, 3, 4]
    feed(buffer, 7, 12)  # more than the capacity at once: the last 5, in ring order
    assert sorted(stored_numbers(buffer)) == [14, 15, 16, 17, 18]
    assert stored_numbers(buffer) == [15, 16, 17, 18, 14]  # image n sits in slot n % 5


def test_reservoir_is_algorithm_r_with_the_buffers_draws():
    buffer = buffer_method(buffer_policy="reservoir", buffer_bytes=6 * 3 * 32 * 32)
    g = torch.Generator().set_state(buffer.rng.get_state())
    reference, seen = [], 0
    for first, n in ((0, 4), (4, 5), (9, 30), (39, 7)):
        feed(buffer, first, n)
        draws = torch.rand(n, generator=g)
        for i in range(n):  # Vitter's algorithm R, one image at a time
            if seen < 6:
                reference.append(first + i)
            else:
                j = math.floor(float(draws[i]) * (seen + 1))
                if j < 6:
                    reference[j] = first + i
            seen += 1
        assert stored_numbers(buffer) == reference
    assert len(set(reference)) == 6 and reference != list(range(6))


def test_uint8_storage_round_trips_within_half_a_level():
    buffer = buffer_method()
    x = (torch.rand(4, 3, 32, 32) - 0.5) / 0.3  # inside the data's [0, 1] range
    back = buffer.decode(buffer.encode(x))
    assert (back - x).abs().max() <= 0.5 / 255 / 0.3 + 1e-6


@pytest.mark.parametrize("method", ["ddad+buffer", "ddad+replay"])
def test_buffer_and_replay_resume_from_a_checkpoint_exactly(method, tmp_path):
    overrides = dict(iterations=4, student_steps=2, buffer_bytes=20 * 3 * 32 * 32) \
        if method.endswith("buffer") else dict(iterations=4, student_steps=2)
    whole = replay_distiller(method, tiny=False, **overrides).fit()
    first = replay_distiller(method, tiny=False, **overrides)
    first.fit(checkpoint_path=tmp_path / "ckpt.pt", until=2)
    resumed = replay_distiller(method, tiny=False, **overrides)
    resumed.load_state_dict(torch.load(tmp_path / "ckpt.pt", weights_only=True))
    resumed.fit()
    # Exact on purpose: the same kernels in the same order, one process and dtype; a resume
    # that restores the buffer/VAE and every RNG is bitwise the uninterrupted run.
    for a, b in zip(whole.S.state_dict().values(), resumed.S.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    if method.endswith("buffer"):
        assert whole.method.filled == resumed.method.filled == 20  # 4 x 2 x 8 seen
        assert torch.equal(whole.method.images, resumed.method.images)
    else:
        for a, b in zip(whole.method.V.state_dict().values(),
                        resumed.method.V.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    for d in (whole, first, resumed):
        d.close()
