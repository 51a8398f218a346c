"""The optimisers survive a step the gradient scaler skips (fp16 with an overflow)."""

import torch
import torch.nn as nn

from ddad_lite.config.building import make_config
from ddad_lite.optimizers import build_optimizers


def steps_through_a_scaler(opt, parameter, scaler):
    """An overflowing step (skipped by the scaler), then two finite ones."""
    for overflow in (True, False, False):
        opt.zero_grad(set_to_none=True)
        factors = torch.tensor([1.0, float("inf") if overflow else 2.0, 1.0, 1.0])
        scaler.scale((parameter * factors).sum()).backward()
        scaler.step(opt)
        scaler.update()


def test_a_skipped_step_leaves_the_weights_as_the_plain_loop_would():
    cfg = make_config("shapes", "ddad", "smoke", progress=False)  # SGD, momentum 0.9, wd
    results = {}
    for scaled in (True, False):
        S, G = nn.Linear(4, 1, bias=False), nn.Linear(1, 1)
        with torch.no_grad():
            S.weight.fill_(1.0)
        opt_S = build_optimizers(cfg, S, G, torch.device("cpu"), scaled=scaled)[0]
        if scaled:
            steps_through_a_scaler(opt_S, S.weight, torch.amp.GradScaler("cpu"))
        else:  # the per-parameter loop, with the overflowing step left out by hand
            for _ in range(2):
                opt_S.zero_grad(set_to_none=True)
                (S.weight * torch.tensor([1.0, 2.0, 1.0, 1.0])).sum().backward()
                opt_S.step()
        results[scaled] = S.weight.detach().clone()
    assert torch.isfinite(results[True]).all(), results[True]
    torch.testing.assert_close(results[True], results[False])
