"""Worked solutions of notebook 03's exercises: `solution_N(**context)` returns the answer that
`check("03", N, answer)` accepts. The context holds the notebook's parameters (`profile`,
`device`, `out_dir`, `cache_dir`, `data_root`, `seed`); the runs go under `out_dir`, and
`teacher` (the loaded (model, record)) may be passed to skip loading."""

from pathlib import Path

from ddad_lite import load_or_train_teacher
from ddad_lite.config.building import make_config
from ddad_lite.lessons.budgets import lesson_budget
from ddad_lite.methods.base import no_param_grad
from ddad_lite.runs.sweep import ABLATION_METHODS, sweep


def _setup(context):
    """(sweep keyword arguments, the runs' folder) as the notebook sets them."""
    profile = context.get("profile", "smoke")
    budget = dict(device=context.get("device", "cpu"), **lesson_budget(profile))
    teacher = context.get("teacher")
    if teacher is None:
        cfg = make_config("shapes", "ddad", profile, progress=False, **budget)
        teacher = load_or_train_teacher(cfg.teacher_recipe, cache_dir=context.get("cache_dir"),
                                        data_root=context.get("data_root"),
                                        device=budget["device"], progress=False)
    out_root = Path(context.get("out_dir") or "runs/interactive/03_dual_discriminator")
    kwargs = dict(dataset="shapes", profile=profile, seeds=(context.get("seed", 0),),
                  teacher=teacher, out_root=out_root / "exercises", **budget)
    return kwargs


def solution_1(**context):
    """{alpha: final accuracy} for alpha (the setting `bn`) in 0.1, 1, 10."""
    kwargs = _setup(context)
    return {alpha: sweep(("ddad",), bn=alpha, **kwargs)[0]["final"] for alpha in (0.1, 1.0, 10.0)}


def solution_2(**context):
    """DDAD with S on the KL discrepancy and G maximising L1: the run's sweep row."""
    return sweep(("ddad",), discrepancy="kl", generator_discrepancy="l1", **_setup(context))[0]


def solution_3(**context):
    """T's effective classes on the last generated batch, per method of the ablation."""
    return {row["method"]: row["effective_classes"]
            for row in sweep(ABLATION_METHODS, **_setup(context))}


def generator_loss(x, *, T, S, alpha, beta, bn_loss, D):
    """DDAD's L_G for synthetic images x = G(z): alpha L_BN(T, x) - beta D(S(x), T(x))."""
    t = T(x)  # the teacher's logits; T's BN hooks record the statistics of x
    L_BN = bn_loss()  # the teacher as discriminator
    with no_param_grad(S):  # S is a fixed discriminator here: gradients pass through to x only
        s = S(x)
    return alpha * L_BN - beta * D(s, t)  # G maximises the student's disagreement


def solution_4(**context):
    """DDAD's generator loss written out: check("03", 4, ...) compares it with the kit's."""
    return generator_loss
