"""The distillation engine: frozen teacher, real data only for evaluation, resume = no stop."""

import copy

import pytest
import torch
from conftest import RecordingDataset, make_distiller, smoke_config

from ddad_lite.data import get_dataset


def test_teacher_stays_frozen_and_unchanged(shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(iterations=3))
    before = copy.deepcopy(d.T.state_dict())
    d.fit()
    assert not d.T.training
    assert all(not p.requires_grad and p.grad is None for p in d.T.parameters())
    after = d.T.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN running stats included


def test_student_and_teacher_are_distinct_and_adversarial_term_is_active(shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(iterations=1))
    assert d.S is not d.T and d.S is not d.G
    loss_G, parts = d.method.generator_loss(d, d.G(d.sample_z()))
    assert float(parts["loss_adv"].detach()) > 0
    assert float(parts["loss_bn"].detach()) > 0
    loss_G.backward()
    grads = [p.grad for p in d.G.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0


def test_generator_step_fills_no_student_gradient(shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(iterations=1, student_steps=1))
    student_grads, real_update = {}, d.update

    def update(losses, optimizers):  # S's .grad right after each update of the iteration
        real_update(losses, optimizers)
        student_grads["G" if optimizers is d.opt_G else "S"] = [
            p.grad.clone() for p in d.S.parameters()]

    d.update = update
    d.train_iteration()
    assert set(student_grads) == {"S", "G"}
    # G's step (after S's) added nothing to the gradient S's own step left behind.
    assert all(torch.equal(a, b) for a, b in zip(student_grads["S"], student_grads["G"],
                                                 strict=True))
    assert all(p.requires_grad for p in d.S.parameters())  # restored after the step


def test_real_data_is_only_read_for_evaluation(shapes_teacher):
    teacher, _ = shapes_teacher
    test_split = RecordingDataset(get_dataset("shapes", "test", size=200))
    cfg = smoke_config(iterations=4, eval_every=2, eval_size=None)
    d = make_distiller(teacher, cfg, eval_dataset=test_split)
    d.fit()
    evaluations = len(d.history["eval"])
    assert evaluations == 2
    assert len(test_split.grad_enabled_at_access) == evaluations * 200
    assert not any(test_split.grad_enabled_at_access)  # read under no_grad only


def test_bn_loss_falls_when_the_generator_matches_statistics(shapes_teacher):
    teacher, _ = shapes_teacher
    cfg = smoke_config("bn_only", iterations=30, student_steps=1, log_every=1,
                       lr_generator=0.01)
    d = make_distiller(teacher, cfg)
    d.fit()
    bn = [r["loss_bn"] for r in d.history["train"]]
    assert sum(bn[-5:]) / 5 < 0.6 * sum(bn[:5]) / 5
    assert set(d.history["bn_layers"][0]) - {"iteration"}  # per-layer values recorded


def test_student_learns_above_chance(shapes_teacher):
    teacher, record = shapes_teacher
    assert record["accuracy"] > 0.8
    cfg = smoke_config(iterations=100, batch_size=64, student_steps=5, eval_every=50,
                       eval_size=1000, amp="auto", channels_last=True)  # bf16 where native
    d = make_distiller(teacher, cfg, eval_dataset=get_dataset("shapes", "test"))
    d.fit()
    assert d.history["eval"][-1]["student_acc"] > 0.25  # chance is 0.1


def test_seeded_runs_are_identical(shapes_teacher):
    teacher, _ = shapes_teacher
    a = make_distiller(teacher, smoke_config(iterations=3)).fit()
    b = make_distiller(teacher, smoke_config(iterations=3)).fit()
    # Exact on purpose: the same computation, same kernels, same order, same process and dtype;
    # determinism is the claim, so any difference (an unseeded draw) is a bug, not rounding.
    for pa, pb in zip(a.S.parameters(), b.S.parameters(), strict=False):
        assert torch.equal(pa, pb)


def test_resumed_run_equals_uninterrupted_run(shapes_teacher, tmp_path):
    teacher, _ = shapes_teacher
    cfg = smoke_config(iterations=6, eval_every=2, eval_size=100, lr_milestones=(0.5,))
    test_split = get_dataset("shapes", "test", size=100)
    whole = make_distiller(teacher, cfg, eval_dataset=test_split).fit()

    first = make_distiller(teacher, cfg, eval_dataset=test_split)
    first.fit(checkpoint_path=tmp_path / "ckpt.pt", until=3)
    resumed = make_distiller(teacher, cfg, eval_dataset=test_split)
    resumed.load_state_dict(torch.load(tmp_path / "ckpt.pt", weights_only=True))
    assert resumed.step == 3
    resumed.fit()

    # Exact on purpose: both runs make the same kernel calls in the same order in one process
    # and dtype, so a resume that restores everything (RNG, optimisers, schedules) is bitwise
    # the uninterrupted run; a tolerance would hide a lost RNG state or a skipped step.
    for name in ("S", "G"):
        for pa, pb in zip(getattr(whole, name).state_dict().values(),
                          getattr(resumed, name).state_dict().values(), strict=False):
            assert torch.equal(pa, pb), name
    assert whole.history["eval"] == resumed.history["eval"]
    assert [r["loss_S"] for r in whole.history["train"]] == \
        [r["loss_S"] for r in resumed.history["train"]]
    assert whole.opt_S.param_groups[0]["lr"] == resumed.opt_S.param_groups[0]["lr"]


@pytest.mark.parametrize("option", ["channels_last", "amp"])
def test_speed_options_run(shapes_teacher, option):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(iterations=2, **{option: True}))
    d.fit()
    assert all(torch.isfinite(p).all() for p in d.S.parameters())


def test_an_eval_subset_spans_a_split_stored_class_by_class():
    from torch.utils.data import TensorDataset

    from ddad_lite.metrics import eval_loader

    labels = torch.arange(10).repeat_interleave(100)  # class 0 first, as in a class folder
    split = TensorDataset(torch.zeros(1000, 1), labels)
    seen = torch.cat([y for _, y in eval_loader(split, size=200, batch_size=64)])
    assert len(seen) == 200 and set(seen.tolist()) == set(range(10))
    again = torch.cat([y for _, y in eval_loader(split, size=200, batch_size=64)])
    assert torch.equal(seen, again)  # the same images every time


def test_student_optimizer_and_generator_schedule_follow_the_config(shapes_teacher):
    teacher, _ = shapes_teacher
    d = make_distiller(teacher, smoke_config(iterations=4, student_optimizer="adam",
                                             lr_student=2e-3, weight_decay=0.0,
                                             lr_milestones=(0.5,), schedule_generator=False))
    assert isinstance(d.opt_S, torch.optim.Adam)
    d.fit()
    assert d.opt_S.param_groups[0]["lr"] == pytest.approx(2e-4)  # S's lr decayed
    assert d.opt_G.param_groups[0]["lr"] == pytest.approx(d.cfg.lr_generator)  # G's constant
    default = make_distiller(teacher, smoke_config(iterations=1))
    assert isinstance(default.opt_S, torch.optim.SGD)


def test_fp16_steps_go_through_the_gradient_scaler_and_the_choice_is_recorded(shapes_teacher):
    from ddad_lite.runs.run import collect_metrics

    teacher, _ = shapes_teacher
    # Batch 8, not the smoke profile's 32: fp16 autocast is emulated on a CPU (slow), and
    # what is checked is the scaler's path, which any batch takes.
    d = make_distiller(teacher, smoke_config(iterations=2, amp="fp16", batch_size=8))
    assert d.amp_dtype == torch.float16 and d.scaler.is_enabled() and not d.amp
    d.fit()
    assert d.scaler.get_scale() > 0 and "scaler" in d.state_dict()
    assert all(torch.isfinite(p).all() for p in d.S.parameters())
    metrics = collect_metrics(d, {}, wall_seconds=1.0)
    assert metrics["amp_dtype"] == "float16" and metrics["amp_enabled"] is True
    plain = make_distiller(teacher, smoke_config(iterations=1, amp=False))
    assert not plain.scaler.is_enabled()
    assert collect_metrics(plain, {}, wall_seconds=1.0)["amp_dtype"] is None
