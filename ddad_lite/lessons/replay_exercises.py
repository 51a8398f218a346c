"""Notebook 06's exercises: replay for a student that never learnt, how much to replay, what
the VAE learns from, buffers that forget, and why the best on test is optimistic.

Forgetting is the largest fall of the test accuracy a_1, a_2, ... from one evaluation to a
later one, max_{i<j} (a_i - a_j) (`forgetting_max_drop`). The best chosen on the test split
is max_i a_i, so for the evaluation k chosen on the validation split

    best_on_test - best = max_i a_i - a_k >= 0,

always: choosing on the split that scores is choosing the luckiest evaluation.
"""

from __future__ import annotations

from .exercises import NotYet, exercise

BUFFER_VARIANTS = ("reservoir", "fifo", "float32")
VAE_SWITCHES = ("replay_teacher_reconstruction", "replay_rehearsal")


def _numbers(answer, what: str, *, low: float = 0.0, high: float = 1.0) -> dict:
    if not isinstance(answer, dict) or not answer:
        raise NotYet(f"give a dict: {what}")
    for key, value in answer.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not low <= value <= high:
            raise NotYet(f"{key!r}: {what}; {value!r} is not in [{low:g}, {high:g}]")
    return answer


@exercise("06", 1)
def _replay_without_learning(answer) -> str:
    """{M: final accuracy, M + "+replay": final accuracy} for one base method M."""
    accs = _numbers(answer, "{method: final accuracy} for a method and its '+replay'")
    pairs = [m for m in accs if "+" not in m and m + "+replay" in accs]
    if not pairs:
        raise NotYet("give a method and the same method with '+replay', e.g. "
                     "{'dfad': ..., 'dfad+replay': ...}")
    m = pairs[0]
    return (f"{m} {accs[m]:.1%}, {m}+replay {accs[m + '+replay']:.1%}: replay keeps what the "
            f"student learnt; a student near chance has nothing to keep")


@exercise("06", 2)
def _replay_fraction(answer) -> str:
    """{replay_fraction: final accuracy} over at least two fractions."""
    accs = _numbers(answer, "{replay_fraction: final accuracy}")
    if len(accs) < 2 or not all(isinstance(f, (int, float)) and 0 < f <= 1 for f in accs):
        raise NotYet("give at least two replay fractions in (0, 1] as keys, e.g. "
                     "{0.125: ..., 0.5: ...}")
    best = max(accs, key=accs.get)
    listed = ", ".join(f"{f:g}: {a:.1%}" for f, a in sorted(accs.items()))
    return f"final accuracy by fraction replayed ({listed}); the best here: {best:g}"


@exercise("06", 3)
def _vae_switches(answer) -> str:
    """{switch turned off: mean |V(z) - V_default(z)| over the same z, images in [0, 1]}."""
    diffs = _numbers(answer, "{setting turned off: mean absolute pixel difference of its "
                     "VAE's samples to the default run's, images in [0, 1]}")
    unknown = set(diffs) - set(VAE_SWITCHES)
    if unknown:
        raise NotYet(f"the keys are settings among {VAE_SWITCHES}, not {sorted(unknown)}")
    listed = ", ".join(f"without {k.removeprefix('replay_')}: {v:.3f}" for k, v in diffs.items())
    return f"the samples move by ({listed}) per pixel on a [0, 1] scale"


@exercise("06", 4)
def _buffer_forgetting(answer) -> str:
    """{variant: forgetting_max_drop} for "reservoir" and at least one of "fifo", "float32"."""
    drops = _numbers(answer, "{buffer variant: forgetting_max_drop}")
    if "reservoir" not in drops or len(drops) < 2 or set(drops) - set(BUFFER_VARIANTS):
        raise NotYet(f"give 'reservoir' (the default) and 'fifo' or 'float32', keys among "
                     f"{BUFFER_VARIANTS}")
    most = max(drops, key=drops.get)
    listed = ", ".join(f"{k} {v:.1%}" for k, v in drops.items())
    return f"largest fall of accuracy: {listed}; the most forgetful here: {most} (one seed)"


@exercise("06", 5)
def _optimistic_best(answer) -> str:
    """best_on_test_student_acc - best_student_acc of a run (or {run: gap} of several)."""
    gaps = answer if isinstance(answer, dict) else {"the run": answer}
    _numbers(gaps, "the gap best_on_test_student_acc - best_student_acc", low=-1.0)
    negative = [k for k, v in gaps.items() if v < 0]
    if negative:
        raise NotYet("the maximum over the test evaluations cannot be below the one chosen on "
                     "validation: subtract best_student_acc from best_on_test_student_acc")
    largest = max(gaps.values())
    return (f"the best on test is {largest:.1%} above the best chosen on validation (never "
            f"below): choosing on the test split picks its luckiest evaluation")
