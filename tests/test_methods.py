"""The method family on one engine: each method's own term is active and moves what it should,
teacher and student stay distinct, real data only evaluates, and replay resumes exactly."""

import copy

import pytest
import torch
from conftest import RecordingDataset, copy_teacher_cache, make_distiller, smoke_config

from ddad_lite.cli.main import main
from ddad_lite.data import get_dataset
from ddad_lite.engine import Distiller
from ddad_lite.errors import UserError
from ddad_lite.methods import Method, available_methods, build_method, no_param_grad, split_method
from ddad_lite.runs import run as run_module
from ddad_lite.runs.run import run_distillation

RUN_METHODS = available_methods() + ["ddad+replay", "dfad+replay", "deepinv+replay",
                                     "ddad+buffer"]


def generator_update(d):
    """One step of G on the method's L_G (the generator half of DDAD's iteration)."""
    with no_param_grad(d.S), d.autocast():
        loss, _ = d.method.generator_loss(d, d.G(d.sample_z()))
    d.update(loss, d.opt.G)


@torch.no_grad()
def synthetic_batch(d):
    """x = G(z) and t = T(x), as a student step of DFAD's loop sees them."""
    x = d.G(d.sample_z())
    return x, d.T(x)


def grad_norm(loss, params):
    grads = torch.autograd.grad(loss, list(params), retain_graph=True, allow_unused=True)
    return sum(float(g.abs().sum()) for g in grads if g is not None)


def test_every_registered_method_builds_from_its_row():
    for name in available_methods(with_extensions=True):
        if name.startswith("dafl+"):  # DAFL's joint loop does not combine with extensions
            with pytest.raises(UserError, match="joint loop"):
                smoke_config(name)
            continue
        cfg = smoke_config(name)
        method = build_method(cfg)
        assert isinstance(method, Method)
        assert set(cfg.method_settings) == {name.split("+")[0], *name.split("+")[1:]}
    with pytest.raises(UserError, match="method"):
        split_method("dafl+unknown")
    with pytest.raises(UserError, match="method"):
        smoke_config("nope")


def test_dafl_terms_are_active_and_move_the_generator(shapes_teacher):
    teacher, _ = shapes_teacher
    cfg = smoke_config("dafl")
    weights = cfg.method_settings["dafl"]
    assert (weights["onehot"], weights["activation"], weights["entropy"]) == (1.0, 0.1, 5.0)
    d = make_distiller(teacher, cfg)
    assert d.method.bn is None  # DAFL does not use BN statistics
    loss, parts = d.method.generator_loss(d, d.G(d.sample_z()))
    assert float(parts["loss_onehot"]) > 0
    assert float(parts["loss_activation"]) < 0  # -mean |features|
    assert float(parts["loss_entropy"]) < 0  # -H(p_bar)
    for term in ("loss_onehot", "loss_activation", "loss_entropy"):
        assert grad_norm(parts[term], d.G.parameters()) > 0, term
    assert grad_norm(loss, d.S.parameters()) == 0  # the student plays no part in L_G
    # A few generator steps on the entropy term alone raise the batch-mean entropy.
    d.method.settings.onehot = d.method.settings.activation = 0.0
    first = float(parts["loss_entropy"])
    for _ in range(15):
        generator_update(d)
    _, later = d.method.generator_loss(d, d.G(d.sample_z()))
    assert float(later["loss_entropy"]) < first


def test_deepinversion_optimises_pixels_into_a_bounded_pool(shapes_teacher):
    teacher, _ = shapes_teacher
    cfg = smoke_config("deepinv", pixel_steps=3, rounds=2, pool_size=2, pixel_lr=0.1)
    d = make_distiller(teacher, cfg)
    g_before = copy.deepcopy(d.G.state_dict())
    x_before = d.method.x.detach().clone()
    _, first = d.method.optimise_pixels(d)
    assert float(first["loss_bn"]) > 0 and float(first["loss_ce"]) > 0
    assert not torch.equal(d.method.x, x_before)  # the pixels moved
    assert d.method.x.min() >= d.method.low.min() - 1e-6  # kept in the valid image range
    _, second = d.method.optimise_pixels(d)  # round 2: the batch joins the pool
    assert float(second["loss_bn"]) < float(first["loss_bn"])
    assert len(d.method.pool) == 1
    for _ in range(6):
        d.method.optimise_pixels(d)
    assert len(d.method.pool) == 2  # bounded, first in first out
    x = d.method.pool_batch()
    assert any(torch.equal(x, p) for p in d.method.pool + [d.method.x.detach()])
    assert all(torch.equal(v, d.G.state_dict()[k]) for k, v in g_before.items())  # G untouched


def test_adv_fc_discriminator_learns_and_its_term_reaches_the_student(shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config("adv_fc"))
    method = d.method
    x, t = synthetic_batch(d)
    method.weight = 1.0
    with_adv = method.student_loss(d.S(x), t)
    loss_adv = method._logs["loss_fc_adv"]
    assert float(loss_adv) > 0
    method.weight = 0.0
    without = method.student_loss(d.S(x), t)
    adv_term = with_adv - without
    assert grad_norm(adv_term, d.S.parameters()) > 0  # reaches S through D_fc
    with_adv.backward()
    assert all(p.grad is None for p in method.D_fc.parameters())  # L_S does not train D_fc
    before = copy.deepcopy(method.D_fc.state_dict())
    method.after_student_step(x, t)
    assert float(method._logs["loss_D_fc"]) > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.D_fc.parameters())
    assert any(not torch.equal(v, method.D_fc.state_dict()[k]) for k, v in before.items())
    # The DDAD generator loss is kept: both discriminators judge x.
    _, parts = method.generator_loss(d, d.G(d.sample_z()))
    assert float(parts["loss_adv"]) > 0 and float(parts["loss_bn"]) > 0


def test_replay_trains_the_vae_and_its_samples_join_the_student_batch(shapes_teacher):
    teacher, _ = shapes_teacher
    cfg = smoke_config("ddad+replay", iterations=10, replay_warmup=0.3, replay_fraction=0.25)
    d = make_distiller(teacher, cfg)
    replay = d.method
    assert replay.warmup_steps == 3 and replay.replay_size == 8
    with torch.no_grad():
        x, _ = replay.mix(d, *synthetic_batch(d))
    assert len(x) == cfg.batch_size  # warm-up: novel samples only
    v_before = copy.deepcopy(replay.V.state_dict())
    losses = []
    for _ in range(3):
        losses.append(float(d.train_iteration()["loss_vae"]))
    assert any(not torch.equal(v, replay.V.state_dict()[k]) for k, v in v_before.items())
    # The VAE learns in the first 4 student steps of an iteration, from half the novel batch.
    assert replay.samples_seen == 3 * min(4, cfg.student_steps) * (cfg.batch_size // 2)
    with torch.no_grad():
        x, t = replay.mix(d, *synthetic_batch(d))
    assert len(x) == len(t) == cfg.batch_size + replay.replay_size
    replayed = x[cfg.batch_size:]
    assert replayed.std() > 0 and torch.isfinite(replayed).all()
    assert torch.allclose(t[cfg.batch_size:], d.T(replayed))  # the teacher labels them
    for _ in range(12):
        losses.append(float(d.train_iteration()["loss_vae"]))
    # PRE-DFKD's L_V is scored on moving targets (G's newest images, V's own tuned samples
    # and the teacher's logits of both), so it need not fall over 15 smoke iterations; the
    # update itself is checked against the public code in test_reference_replay.py.
    assert all(0 < loss < float("inf") for loss in losses)


@pytest.mark.parametrize("method", RUN_METHODS)
def test_every_method_runs_end_to_end_and_reads_real_data_only_to_evaluate(
        method, shapes_teacher, tmp_path, monkeypatch):
    teacher, record = shapes_teacher
    teacher_before = copy.deepcopy(teacher.state_dict())
    reads = []

    def recorded_test_split(name, split, root=None, **kw):
        assert split == "test"  # the student never sees the train split
        data = RecordingDataset(get_dataset(name, split, root, size=150, **kw))
        reads.append(data)
        return data

    monkeypatch.setattr(run_module, "get_dataset", recorded_test_split)
    built = []
    monkeypatch.setattr(run_module, "Distiller",
                        lambda *a, **k: built.append(Distiller(*a, **k)) or built[-1])
    cfg = smoke_config(method, iterations=4, eval_every=2)
    metrics = run_distillation(cfg, tmp_path / "run", teacher=(teacher, record))
    d = built[0]
    assert d.S is not d.T and d.G is not d.T
    assert not set(map(id, d.S.parameters())) & set(map(id, d.T.parameters()))
    assert all(torch.equal(v, teacher.state_dict()[k]) for k, v in teacher_before.items())
    accesses = reads[0].grad_enabled_at_access
    # two evaluations of S, T re-scored on the same examples, T's logit scale on them: all
    # without autograd
    assert len(accesses) == (2 + 1 + 1) * 150 and not any(accesses)
    assert metrics["method"] == method and metrics["student_acc"] is not None
    assert metrics["forgetting_max_drop"] >= 0
    assert all((tmp_path / "run" / f).is_file() for f in run_module.RUN_FILES)
    if method.endswith("+replay"):
        assert 0 < metrics["replay_memory_bytes"]
        seen = metrics["replay_samples_seen"]
        assert seen == 4 * min(4, cfg.student_steps) * (cfg.batch_size // 2)
        assert metrics["replay_equivalent_samples_bytes"] == seen * 3 * 32 * 32
        assert metrics["replay_equivalent_samples_bytes_float32"] == seen * 3 * 32 * 32 * 4
    if method.endswith("+buffer"):  # as many bytes as the VAE, filled by the same images
        vae = build_method(smoke_config(method.replace("+buffer", "+replay")))
        assert metrics["buffer_memory_bytes"] <= vae.memory_bytes()
        assert metrics["buffer_capacity_images"] == vae.memory_bytes() // (3 * 32 * 32)
        assert metrics["buffer_samples_seen"] == 4 * min(4, cfg.student_steps) * (
            cfg.batch_size // 2)


@pytest.mark.parametrize("method", ["ddad+replay", "deepinv", "adv_fc"])
def test_resumed_run_with_method_state_equals_uninterrupted_run(method, shapes_teacher,
                                                                tmp_path):
    teacher, _ = shapes_teacher
    cfg = smoke_config(method, iterations=6, eval_every=2, eval_size=100,
                       **{"ddad+replay": dict(replay_warmup=0.2),
                          "deepinv": dict(rounds=2, pixel_steps=2)}.get(method, {}))
    test_split = get_dataset("shapes", "test", size=100)
    whole = make_distiller(teacher, cfg, eval_dataset=test_split).fit()
    first = make_distiller(teacher, cfg, eval_dataset=test_split)
    first.fit(checkpoint_path=tmp_path / "ckpt.pt", until=3)
    resumed = make_distiller(teacher, cfg, eval_dataset=test_split)
    resumed.load_state_dict(torch.load(tmp_path / "ckpt.pt", weights_only=True))
    resumed.fit()
    for a, b in ((whole.S, resumed.S), (whole.G, resumed.G)):
        assert all(torch.equal(x, y) for x, y in
                   zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    state_a, state_b = whole.method.state_dict(), resumed.method.state_dict()
    flat_a, flat_b = _tensors(state_a), _tensors(state_b)
    assert len(flat_a) == len(flat_b) > 0
    assert all(torch.equal(x, y) for x, y in zip(flat_a, flat_b, strict=True))
    assert whole.history == resumed.history


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for k in sorted(obj, key=str) for t in _tensors(obj[k])]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in _tensors(v)]
    return []


def test_cli_distils_with_replay_and_reports_memory(tmp_path, monkeypatch, capsys,
                                                   smoke_teacher_cache):
    copy_teacher_cache(smoke_teacher_cache, tmp_path / "cache" / "teachers")
    monkeypatch.setenv("DDAD_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    code = main(["distill", "--dataset", "shapes", "--method", "dfad+replay", "--profile",
                 "smoke", "--out", str(out), "--no-progress", "--iterations", "3"])
    assert code == 0
    assert '"method": "dfad+replay"' in capsys.readouterr().out
    assert main(["distill", "--method", "nope", "--profile", "smoke", "--out",
                 str(tmp_path / "x")]) == 2
