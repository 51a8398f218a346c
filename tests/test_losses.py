"""The BN-statistics loss and the discrepancies against numbers computed by hand."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ddad_lite.errors import UserError
from ddad_lite.losses import BNStatistics, class_balance_loss, discrepancy


def tiny_bn_net():
    """Two BN layers with known running statistics around an identity 1x1 conv."""
    net = nn.Sequential(nn.BatchNorm2d(2), nn.Conv2d(2, 2, 1, bias=False), nn.BatchNorm2d(2))
    with torch.no_grad():
        net[0].running_mean.copy_(torch.tensor([0.5, -1.0]))
        net[0].running_var.copy_(torch.tensor([1.0, 2.0]))
        net[1].weight.copy_(torch.eye(2).view(2, 2, 1, 1))
        net[2].running_mean.copy_(torch.tensor([0.0, 0.0]))
        net[2].running_var.copy_(torch.tensor([1.0, 1.0]))
    return net.eval()


def tiny_batch():
    # N=2, C=2, H=1, W=2. Channel 0 holds 1, 2, 3, 4; channel 1 holds 0, 0, 2, 2.
    return torch.tensor([[[[1.0, 2.0]], [[0.0, 0.0]]],
                         [[[3.0, 4.0]], [[2.0, 2.0]]]])


def test_bn_loss_matches_hand_computation():
    net = tiny_bn_net()
    bn = BNStatistics(net)
    net(tiny_batch())
    # Layer 1 input: means (2.5, 1), biased variances (1.25, 1).
    r1 = math.hypot(2.5 - 0.5, 1 - (-1)) + math.hypot(1.25 - 1.0, 1.0 - 2.0)
    # Layer 2 input is layer 1's output in eval mode: (a - running_mean) / sqrt(var + eps).
    eps = 1e-5
    m2 = ((2.5 - 0.5) / math.sqrt(1 + eps), (1 + 1) / math.sqrt(2 + eps))
    v2 = (1.25 / (1 + eps), 1.0 / (2 + eps))
    r2 = math.hypot(m2[0], m2[1]) + math.hypot(v2[0] - 1, v2[1] - 1)
    per_layer = bn.per_layer()
    assert per_layer["0"] == pytest.approx(r1, rel=1e-5)
    assert per_layer["2"] == pytest.approx(r2, rel=1e-5)
    assert float(bn.loss().detach()) == pytest.approx(r1 + r2, rel=1e-5)


def test_bn_loss_is_zero_when_batch_matches_running_stats():
    bn_layer = nn.BatchNorm2d(3).eval()
    x = torch.randn(64, 3, 8, 8)
    with torch.no_grad():
        bn_layer.running_mean.copy_(x.mean((0, 2, 3)))
        bn_layer.running_var.copy_(x.var((0, 2, 3), unbiased=False))
    bn = BNStatistics(bn_layer)
    bn_layer(x)
    assert float(bn.loss()) == pytest.approx(0.0, abs=1e-5)


def test_bn_loss_gives_gradient_to_the_input_and_not_running_stats():
    net = tiny_bn_net()
    bn = BNStatistics(net)
    x = tiny_batch().requires_grad_(True)
    before = net[0].running_mean.clone()
    net(x)
    bn.loss().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert torch.equal(net[0].running_mean, before)  # eval mode: statistics untouched


def test_disabled_hooks_record_nothing_and_remove_detaches():
    net = tiny_bn_net()
    bn = BNStatistics(net)
    bn.set_enabled(False)
    net(tiny_batch())
    with pytest.raises(RuntimeError):
        bn.loss()
    bn.set_enabled(True)
    bn.remove()
    net(tiny_batch())
    with pytest.raises(RuntimeError):
        bn.loss()


def test_l1_discrepancy_by_hand():
    s = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    t = torch.tensor([[0.0, 0.0], [0.5, 1.0]])
    assert float(discrepancy("l1", s, t)) == pytest.approx((1 + 2 + 0 + 1) / 4)
    assert float(discrepancy("log_l1", s, t)) == pytest.approx(math.log(1 + 1.0))


def test_kl_discrepancy_matches_torch_with_temperature():
    torch.manual_seed(0)
    s, t = torch.randn(8, 5), torch.randn(8, 5)
    tau = 4.0
    expected = F.kl_div(F.log_softmax(s / tau, 1), F.softmax(t / tau, 1),
                        reduction="batchmean") * tau**2
    assert float(discrepancy("kl", s, t, temperature=tau)) == pytest.approx(float(expected),
                                                                             rel=1e-5)
    assert float(discrepancy("kl", t, t)) == pytest.approx(0.0, abs=1e-6)


def test_dense_discrepancies_average_over_pixels():
    s, t = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)
    assert float(discrepancy("l1", s, t)) == pytest.approx(1.0)
    assert discrepancy("kl", s, t).shape == ()


def test_unknown_discrepancy_is_a_user_error():
    with pytest.raises(UserError, match="unknown discrepancy"):
        discrepancy("l3", torch.zeros(1, 2), torch.zeros(1, 2))


def test_class_balance_loss_is_sum_p_log_p_in_the_chosen_base():
    t = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 3.0]])
    p_bar = F.softmax(t, 1).mean(0)
    nats = float((p_bar * p_bar.log()).sum())
    assert math.isclose(float(class_balance_loss(t)), nats, rel_tol=1e-6)
    # DAFL's code: (p_bar * torch.log10(p_bar)).sum(), ln 10 = 2.3x weaker than in nats
    log10 = float((p_bar * torch.log10(p_bar)).sum())
    assert math.isclose(float(class_balance_loss(t, log_base=10)), log10, rel_tol=1e-6)
    assert math.isclose(nats / log10, math.log(10), rel_tol=1e-6)
    uniform = torch.zeros(4, 3)  # balanced: the minimum, -log_b(classes)
    assert math.isclose(float(class_balance_loss(uniform, log_base=10)), -math.log10(3),
                        rel_tol=1e-6)
