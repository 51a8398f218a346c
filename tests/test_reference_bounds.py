"""The two bounds of methods/bounds.py against references written here with plain torch ops:
one iteration of each trains S exactly as k plain SGD steps on L1(S(x), T(x)) would, on
G_0(z) (random_generator: G never changes) or on the teacher's own training images
(kd_real_data: never a validation or test image, each once per pass)."""

import copy

import pytest
import torch
import torch.nn.functional as F
from test_reference_weighted import TinyClassifier, tiny_teacher, z_stream
from torch.testing import assert_close

from ddad_lite.config.building import make_config
from ddad_lite.data import get_dataset
from ddad_lite.data.validation import training_indices, validation_indices
from ddad_lite.engine import Distiller
from ddad_lite.errors import UserError
from ddad_lite.methods import METHODS, available_methods, split_method
from ddad_lite.models import register


@register
def bounds_tiny_student(*, num_classes=10, channels=3):
    return TinyClassifier(width=3, num_classes=num_classes, channels=channels)


def bound_config(method, **overrides):
    run = dict(batch_size=6, nz=8, ngf=4, iterations=2, student_steps=3, eval_every=0,
               snapshot_every=0, log_every=0, amp=False, channels_last=False, compile=False,
               progress=False, seed=5, student="bounds_tiny_student", discrepancy="l1")
    return make_config("shapes", method, "smoke", **{**run, **overrides})


def sgd_steps(cfg, T, S, batches):
    """k plain SGD steps of S on L1(S(x), T(x)), one per batch; returns the last loss."""
    opt = torch.optim.SGD(S.parameters(), lr=cfg.lr_student, momentum=cfg.momentum,
                          weight_decay=cfg.weight_decay)
    S.train()
    for x in batches:
        with torch.no_grad():
            t = T(x)
        loss = F.l1_loss(S(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.detach()


@pytest.mark.usefixtures("float64")  # the same math on both sides: float64, so that the
# default tolerances (1e-7) sit ~1e8 float64 roundings above any kernel's order of sums
def test_random_generator_trains_s_on_a_frozen_generator():
    cfg = bound_config("random_generator")
    d = Distiller(cfg, tiny_teacher())
    T, S, G = copy.deepcopy((d.T, d.S, d.G))
    logs = d.train_iteration()
    next_z = z_stream(cfg)
    G.train()
    with torch.no_grad():
        batches = [G(next_z()) for _ in range(cfg.student_steps)]
    loss = sgd_steps(cfg, T, S, batches)
    assert_close(logs["loss_S"], loss)
    for (name, p), q in zip(d.S.state_dict().items(), S.state_dict().values(), strict=True):
        assert_close(p, q, msg=lambda m, n=name: f"{n}: {m}")
    d.train_iteration()  # G's weights never move (its BN buffers follow each batch, as in DDAD)
    for name, p in d.G.named_parameters():
        assert torch.equal(p, dict(G.named_parameters())[name]), name
    assert d.images_per_iteration == cfg.student_steps * cfg.batch_size


def test_kd_real_data_reads_the_teachers_training_images_once_per_pass():
    cfg = bound_config("kd_real_data", batch_size=64)
    d = Distiller(cfg, tiny_teacher())
    T, S = copy.deepcopy((d.T, d.S))
    recipe = cfg.teacher_recipe
    train = get_dataset("shapes", "train")
    keep = training_indices(len(train), size=recipe.val_size, seed=recipe.val_seed)
    keep = keep[:recipe.train_size]
    held_out = set(validation_indices(len(train), size=recipe.val_size, seed=recipe.val_seed))

    logs = d.train_iteration()
    order = d.method.order[:cfg.student_steps * cfg.batch_size]
    batches = [torch.stack([train[int(i)][0] for i in order[k * 64:(k + 1) * 64]])
               for k in range(cfg.student_steps)]
    assert_close(logs["loss_S"], sgd_steps(cfg, T, S, batches))
    for (name, p), q in zip(d.S.state_dict().items(), S.state_dict().values(), strict=True):
        assert_close(p, q, msg=lambda m, n=name: f"{n}: {m}")

    # One pass is a permutation of the teacher's training images: no validation image.
    assert sorted(d.method.order.tolist()) == sorted(keep)
    assert not held_out & set(d.method.order.tolist())
    # A resumed method draws what the uninterrupted one draws.
    state = copy.deepcopy(d.method.state_dict())
    ahead = d.method.next_indices(3000)  # crosses into the next pass
    d.method.load_state_dict(state)
    assert torch.equal(d.method.next_indices(3000), ahead)


def test_bounds_are_rows_but_not_methods():
    assert {METHODS["kd_real_data"].bound, METHODS["random_generator"].bound} == {"upper",
                                                                                  "lower"}
    assert "kd_real_data" not in available_methods(with_extensions=True)
    assert {"kd_real_data", "random_generator"} <= set(available_methods(bounds=True))
    with pytest.raises(UserError, match="is a bound, not a method"):
        split_method("kd_real_data+replay")


@pytest.mark.parametrize("method", ["kd_real_data", "random_generator"])
def test_a_bound_is_scored_like_any_run(method, tmp_path):
    from ddad_lite.runs.run import run_distillation
    cfg = bound_config(method, iterations=2, eval_every=1, eval_size=50, snapshot_every=2,
                       snapshot_size=4)
    metrics = run_distillation(cfg, tmp_path / method, teacher=(tiny_teacher(), {}))
    assert metrics["method"] == method and metrics["evaluations"] == 2
    assert 0 <= metrics["student_acc"] <= 1 and metrics["val_images"] == cfg.val_size
