"""Exercises that check themselves: each notebook exercise has a check, and a solution that the
test suite runs.

In a notebook, an exercise is a markdown task, a cell where the learner sets `answer_N`
(None until answered) and a check cell:

    answer_1 = None  # your answer: ...
    check("03", 1, answer_1)

`check` prints one line: "not answered yet" (and where the solution is) for None, "correct"
with what the answer shows, or "not yet" with a hint. It never raises for a wrong or missing
answer, so a headless run of the series passes with the exercises left open.

The checks live next to the code a lesson teaches, registered by notebook and number:

    @exercise("03", 1)
    def _alpha_sweep(answer) -> str:
        '''A dict {alpha: final student accuracy} over at least three alphas.'''
        if not isinstance(answer, dict) or len(answer) < 3:
            raise NotYet("give a dict {alpha: accuracy} with at least three values of alpha")
        return f"the best alpha of the {len(answer)} is {max(answer, key=answer.get)}"

A check returns what a correct answer shows (one line) or raises `NotYet(hint)`. Where the
learner writes code (a function), the check runs it beside the kit's own on what the notebook
passes along as keywords, `check("02", 4, answer_4, teacher=teacher)`
(`lessons/code_checks.py`); without them it runs on a stand-in of its own. The worked
solutions are `notebooks/solutions/NN_name.py`: a function `solution_N(**context)` per
exercise returning the answer; `tests/test_solutions.py` runs every one in the `smoke`
profile and passes its result through the check.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from typing import Callable

from ..paths import NOTEBOOKS_DIR

SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"

# (notebook number, exercise number) -> the check; filled by `@exercise` where lessons live.
CHECKS: dict[tuple[str, int], Callable] = {}

# The lesson modules whose checks register on import.
CHECK_MODULES: list[str] = [
    "ddad_lite.lessons.toy2d",
    "ddad_lite.lessons.inversion",
    "ddad_lite.lessons.dual_discriminator",
    "ddad_lite.lessons.teacher_exercises",
    "ddad_lite.lessons.cifar_exercises",
    "ddad_lite.lessons.segmentation_exercises",
    "ddad_lite.lessons.replay_exercises",
    "ddad_lite.lessons.comparison_exercises",
    "ddad_lite.lessons.code_checks",
]


class NotYet(Exception):
    """A check's verdict that the answer is not right yet; the message is the hint."""


def exercise(notebook: str, number: int):
    """Register the decorated function as the check of exercise `number` of `notebook`."""
    key = (str(notebook).zfill(2), int(number))

    def register(fn: Callable) -> Callable:
        if key in CHECKS and CHECKS[key] is not fn:
            raise ValueError(f"exercise {key} has two checks: {CHECKS[key].__name__} and "
                             f"{fn.__name__}")
        CHECKS[key] = fn
        return fn

    return register


def _load_checks() -> None:
    for name in CHECK_MODULES:
        importlib.import_module(name)


def solution_file(notebook: str) -> str:
    """The worked solutions of `notebook`, relative to the project (for the "not answered" line)."""
    prefix = str(notebook).zfill(2)
    matches = sorted(SOLUTIONS_DIR.glob(f"{prefix}_*.py"))
    name = matches[0].name if matches else f"{prefix}_*.py"
    return f"notebooks/solutions/{name}"


def solutions(notebook: str) -> dict[int, Callable]:
    """{N: solution_N} of `notebooks/solutions/NN_*.py`, loaded from its file (the folder is
    not a package); {} when the notebook has no solutions file."""
    prefix = str(notebook).zfill(2)
    found: dict[int, Callable] = {}
    for path in sorted(SOLUTIONS_DIR.glob(f"{prefix}_*.py")):
        spec = importlib.util.spec_from_file_location(f"ddad_solutions_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, fn in vars(module).items():
            if re.fullmatch(r"solution_\d+", name) and callable(fn):
                found[int(name.removeprefix("solution_"))] = fn
    return found


def verdict(notebook: str, number: int, answer, **given) -> tuple[bool | None, str]:
    """(True, what it shows) for a correct answer, (False, hint) for a wrong one, (None, where
    the solution is) for an unanswered one. `given`: what the check runs a written function
    on (e.g. `teacher=`), passed to the check as keywords."""
    _load_checks()
    key = (str(notebook).zfill(2), int(number))
    if key not in CHECKS:
        raise KeyError(f"no check registered for exercise {number} of notebook {key[0]}")
    if answer is None:
        return None, (f"exercise {number}: not answered yet (a worked solution is in "
                      f"{solution_file(key[0])}, solution_{number})")
    try:
        shown = CHECKS[key](answer, **given)
    except NotYet as hint:
        return False, f"exercise {number}: not yet: {hint}"
    return True, f"exercise {number}: correct. {shown}".rstrip()


def check(notebook: str, number: int, answer, **given) -> bool | None:
    """Print the verdict on `answer` in one line; returns True, False or None (unanswered)."""
    ok, line = verdict(notebook, number, answer, **given)
    print(line)
    return ok
