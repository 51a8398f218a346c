"""Notebook 07's exercises: differences that survive the seeds, a longer budget, the FC
discriminator's weight, and DAFL's information-entropy term.

A difference between methods A and B "survives the spread" of seeds when their ranges of final
accuracy over seeds do not overlap: min_s a_s > max_s b_s (or the reverse). DAFL's
information-entropy term rewards a batch whose mean teacher prediction is spread over the
classes; without it, the normalised class entropy H / ln C of T's predictions on G's images
(`teacher_class_entropy_final`) shows whether the generator collapses onto a few classes.
"""

from __future__ import annotations

from itertools import combinations

from .exercises import NotYet, exercise


def _fractions(values, what: str) -> None:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise NotYet(f"{what} is a fraction in [0, 1], not {v!r}")


def _order(accs: dict) -> list:
    return sorted(accs, key=accs.get, reverse=True)


@exercise("07", 1)
def _survivors(answer) -> str:
    """{method: [final accuracy of each seed]} with at least two methods of at least 2 seeds."""
    if not isinstance(answer, dict) or len(answer) < 2 or not all(
            isinstance(v, (list, tuple)) and len(v) >= 2 for v in answer.values()):
        raise NotYet("give {method: [final accuracy per seed]} for at least two methods and "
                     "two seeds (summary entries' points['final'])")
    for finals in answer.values():
        _fractions(finals, "a final accuracy")
    survive = [f"{a} vs {b}" for a, b in combinations(answer, 2)
               if min(answer[a]) > max(answer[b]) or min(answer[b]) > max(answer[a])]
    return (f"differences beyond the spread of seeds: {', '.join(survive) or 'none'} "
            f"(of {len(answer) * (len(answer) - 1) // 2} pairs)")


@exercise("07", 2)
def _longer_budget(answer) -> str:
    """{iterations: {method: final accuracy}} for two budgets over the same methods."""
    if not isinstance(answer, dict) or len(answer) < 2 or not all(
            isinstance(v, dict) for v in answer.values()):
        raise NotYet("give {iterations: {method: final accuracy}} for two budgets")
    budgets = sorted(answer)
    methods = [set(answer[b]) for b in budgets]
    if len(methods[0]) < 2 or any(m != methods[0] for m in methods):
        raise NotYet("compare the same methods (at least two) at every budget")
    for b in budgets:
        _fractions(answer[b].values(), "a final accuracy")
    orders = [_order(answer[b]) for b in budgets]
    same = all(o == orders[0] for o in orders)
    listed = "; ".join(f"{b} iterations: {' > '.join(o)}" for b, o in zip(budgets, orders,
                                                                           strict=True))
    return f"{listed}: the order {'holds' if same else 'changes'}"


@exercise("07", 3)
def _fc_weight(answer) -> str:
    """{fc_adversarial weight: final accuracy}, with 0 and a positive weight."""
    if not isinstance(answer, dict) or 0 not in answer or not any(
            isinstance(w, (int, float)) and w > 0 for w in answer):
        raise NotYet("give {fc_adversarial: final accuracy} with the weight 0 and a "
                     "positive weight, e.g. {0: ..., 1: ...}")
    _fractions(answer.values(), "a final accuracy")
    listed = ", ".join(f"{w:g}: {a:.1%}" for w, a in sorted(answer.items()))
    spread = max(answer.values()) - min(answer.values())
    return f"final accuracy by weight ({listed}): the FC term moves it by {spread:.1%}"


@exercise("07", 4)
def _entropy_term(answer) -> str:
    """{entropy weight: teacher_class_entropy_final}, with 0 and DAFL's weight."""
    if not isinstance(answer, dict) or 0 not in answer or not any(
            isinstance(w, (int, float)) and w > 0 for w in answer):
        raise NotYet("give {entropy weight: teacher_class_entropy_final} for 0 and DAFL's "
                     "weight (5 on shapes)")
    _fractions(answer.values(), "a normalised class entropy")
    with_term = max(w for w in answer if w > 0)
    drop = answer[with_term] - answer[0]
    effect = ("collapse onto fewer classes" if drop > 0 else
              "no collapse at this budget (look again on a longer one)")
    return (f"class entropy {answer[with_term]:.2f} with the term, {answer[0]:.2f} without: "
            f"{effect}; the term protects against a generator of few classes")
