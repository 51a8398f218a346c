"""The exercises where the learner writes code (lessons/code_checks.py): the worked solution
passes on a real teacher, and each typical wrong answer fails with the hint that names it.

02, 4: the BN hook; 03, 4: DDAD's generator loss L_G = alpha L_BN - beta D(S(x), T(x)).
"""

import pytest
import torch

from ddad_lite.lessons.exercises import solutions, verdict
from ddad_lite.methods.base import no_param_grad

DIMS = (0, 2, 3)


def _hook(*, source="input", unbiased=False, running=True, squared=False, detach=False,
          dims=DIMS, returns=False):
    """A BN hook with one mistake switched on (all off: the right hook)."""

    def hook(module, inputs, output):
        a = inputs[0] if source == "input" else output
        if detach:
            a = a.detach()
        mu, var = a.mean(dim=dims), a.var(dim=dims, unbiased=unbiased)
        rm, rv = (module.running_mean, module.running_var) if running else (0, 0)
        p = 2 if squared else 1
        R = torch.linalg.vector_norm(mu - rm) ** p + torch.linalg.vector_norm(var - rv) ** p
        module.bn_record = {"mu": mu, "var": var, "R": R}
        return module.bn_record if returns else None

    return hook


WRONG_HOOKS = [
    (dict(unbiased=True), "unbiased variance"),
    (dict(source="output"), "output"),
    (dict(running=False), "ignores the running statistics"),
    (dict(squared=True), "squared norms"),
    (dict(detach=True), "no gradient"),
    (dict(dims=0), "shape"),
    (dict(returns=True), "returns a value"),
]


def test_the_written_bn_hook_passes_on_a_real_teacher(shapes_teacher):
    teacher, _ = shapes_teacher
    ok, line = verdict("02", 4, solutions("02")[4](), teacher=teacher)
    assert ok is True, line


@pytest.mark.parametrize("mistake,hint", WRONG_HOOKS, ids=[h for _, h in WRONG_HOOKS])
def test_a_wrong_bn_hook_is_named(mistake, hint, shapes_teacher):
    teacher, _ = shapes_teacher
    ok, line = verdict("02", 4, _hook(**mistake), teacher=teacher)
    assert ok is False and hint in line, line


def test_an_unwritten_bn_hook_says_what_is_missing():
    def hook(module, inputs, output):  # the notebook's placeholder, left as it is
        module.bn_record = {"mu": None, "var": None, "R": None}

    ok, line = verdict("02", 4, hook)
    assert ok is False and "mu, var, R still None" in line, line
    assert verdict("02", 4, None)[0] is None


def _loss(*, sign=-1, swap=False, freeze_S=True, no_grad_S=False, weights=True):
    """DDAD's L_G with one mistake switched on (all off: the right loss)."""

    def generator_loss(x, *, T, S, alpha, beta, bn_loss, D):
        a, b = (beta, alpha) if swap else (alpha, beta)
        if not weights:
            a = b = 1.0
        t = T(x)
        L_BN = bn_loss()
        if no_grad_S:
            with torch.no_grad():
                s = S(x)
        elif freeze_S:
            with no_param_grad(S):
                s = S(x)
        else:
            s = S(x)
        return a * L_BN + sign * b * D(s, t)

    return generator_loss


WRONG_LOSSES = [
    (dict(sign=+1), "wrong sign"),
    (dict(swap=True), "swapped"),
    (dict(weights=False), "weights are missing"),
    (dict(freeze_S=False), "S's weights received a gradient"),
    (dict(no_grad_S=True), "G's gradient is not"),
]


def test_the_written_generator_loss_passes_on_a_real_teacher(shapes_teacher):
    teacher, _ = shapes_teacher
    ok, line = verdict("03", 4, solutions("03")[4](), teacher=teacher)
    assert ok is True, line


@pytest.mark.parametrize("mistake,hint", WRONG_LOSSES, ids=[h for _, h in WRONG_LOSSES])
def test_a_wrong_generator_loss_is_named(mistake, hint):
    ok, line = verdict("03", 4, _loss(**mistake))
    assert ok is False and hint in line, line
