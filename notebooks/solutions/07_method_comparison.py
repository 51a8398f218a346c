"""Worked solutions of notebook 07's exercises.

`solution_N(**context)` returns answer_N; `context` is the notebook's parameters (profile,
device, out_dir, cache_dir, data_root, and `seed` or `seeds`). Two of the table's methods
(`METHODS`) keep them short; runs go to the series' shared folder, so those the notebook made
are read back. The checks are in `ddad_lite/lessons/comparison_exercises.py`.
"""

from ddad_lite.config.building import make_config
from ddad_lite.lessons.series import series_runner
from ddad_lite.runs.sweep import summarize

METHODS = ["dfad", "ddad"]


def _runner(profile="quick", device="cpu", out_dir="runs/interactive/07_method_comparison",
            cache_dir=None, data_root=None, **_):
    """(run(methods, seeds=(0,), **settings) -> sweep rows, the series' config)."""
    return series_runner(profile=profile, device=device, out_dir=out_dir, cache_dir=cache_dir,
                         data_root=data_root)


def solution_1(**context):
    """Final accuracy per seed: only a gap wider than the spread of seeds is a difference."""
    run, _ = _runner(**context)
    return {e["method"]: e["points"]["final"] for e in summarize(run(METHODS, seeds=[0, 1, 2]))}


def solution_2(**context):
    """The series' budget and twice as many iterations: a short run's order need not hold."""
    run, cfg = _runner(**context)
    return {n: {r["method"]: r["final"] for r in run(METHODS, iterations=n)}
            for n in (cfg.iterations, 2 * cfg.iterations)}


def solution_3(**context):
    """adv_fc without (0) and with a strong (1) FC-discriminator term (its default: 0.1)."""
    run, _ = _runner(**context)
    return {w: run(["adv_fc"], fc_adversarial=w)[0]["final"] for w in (0.0, 1.0)}


def solution_4(profile="quick", **context):
    """T's class entropy on the last generated batch, with DAFL's entropy weight and without:
    the information-entropy term keeps G's batches spread over the classes, against a
    generator that collapses onto a few that T finds easy."""
    run, _ = _runner(profile=profile, **context)
    weight = make_config("shapes", "dafl", profile).method_settings["dafl"]["entropy"]
    return {w: run(["dafl"], entropy=w)[0]["class_entropy"] for w in (0.0, weight)}
