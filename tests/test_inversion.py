"""Inverting the teacher with the BN loss alone: the loss falls, the teacher is untouched."""

import copy

import pytest
import torch

from ddad_lite.lessons.inversion import invert_generator, invert_pixels


def test_pixel_inversion_lowers_the_bn_loss(shapes_teacher):
    teacher = copy.deepcopy(shapes_teacher[0])
    before = copy.deepcopy(teacher.state_dict())
    result = invert_pixels(teacher, batch_size=8, iterations=30, lr=0.1, record_every=10)
    assert len(result.losses) == 31
    assert result.losses[-1] < 0.7 * result.losses[0]
    assert sum(result.per_layer_end.values()) < sum(result.per_layer_start.values())
    assert result.iterations == [0, 10, 20, 30]
    assert all(f.dtype == torch.uint8 and f.shape == (8, 3, 32, 32) for f in result.frames)
    assert not any(m._forward_hooks for m in teacher.modules())
    after = teacher.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # running stats unchanged


def test_generator_inversion_lowers_the_bn_loss(shapes_teacher):
    teacher = copy.deepcopy(shapes_teacher[0])
    result = invert_generator(teacher, nz=32, ngf=16, batch_size=32, iterations=40, lr=1e-2,
                              record_every=20, frame_size=4)
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < 0.8 * first
    assert result.iterations == [0, 20, 40] and result.frames[0].shape == (4, 3, 32, 32)
    assert all(p.grad is None for p in teacher.parameters())


def test_layer_weights_choose_what_the_inversion_minimises():
    from test_reference_weighted import tiny_teacher

    from ddad_lite.errors import UserError
    from ddad_lite.lessons.exercises import verdict

    teacher = tiny_teacher()
    first, second = "features.1", "features.4"
    start = invert_pixels(teacher, batch_size=4, iterations=0, layer_weights={first: 2.0})
    assert start.losses[0] == pytest.approx(2.0 * start.per_layer_start[first], rel=1e-6)
    assert set(start.per_layer_start) == {first, second}  # every R_l is still reported
    result = invert_pixels(teacher, batch_size=4, iterations=15, lr=0.1,
                           layer_weights={first: 1.0, second: 0.0})
    assert result.per_layer_end[first] < 0.7 * result.per_layer_start[first]
    assert result.layer_weights == {first: 1.0, second: 0.0}
    assert verdict("02", 1, result)[0] is True
    assert verdict("02", 1, invert_pixels(teacher, batch_size=4, iterations=2))[0] is False
    with pytest.raises(UserError, match="no BatchNorm layer 'conv9'"):
        invert_pixels(teacher, batch_size=4, iterations=1, layer_weights={"conv9": 1.0})
    with pytest.raises(UserError, match="every layer weight 0"):
        invert_generator(teacher, nz=8, ngf=4, batch_size=4, iterations=1,
                         layer_weights={first: 0.0})


@pytest.mark.parametrize("invert", [invert_pixels, invert_generator])
def test_progress_shows_a_bar_with_the_bn_loss_and_off_shows_nothing(shapes_teacher, capsys,
                                                                     invert):
    teacher = copy.deepcopy(shapes_teacher[0])
    kwargs = dict(batch_size=4, iterations=3, record_every=0)
    if invert is invert_generator:
        kwargs.update(nz=8, ngf=4, frame_size=2)
    invert(teacher, progress=True, **kwargs)
    shown = capsys.readouterr().err
    assert "inversion" in shown and "3/3" in shown and "L_BN=" in shown, shown
    invert(teacher, **kwargs)
    assert capsys.readouterr().err == ""
