"""Every exercise of the series has a check and a worked solution, and the check accepts it.

Each `solution_N` of `notebooks/solutions/NN_name.py` runs in the `smoke` profile with the
context a notebook would pass (its parameters: profile, out_dir, cache_dir, data_root, device,
seed); its answer goes through the check registered for (NN, N). The solutions share one
folder of runs, as the notebooks do, so a run one solution made is read back by the next.
"""

import re
import shutil

import pytest
from conftest import copy_teacher_cache

from ddad_lite.lessons import exercises
from ddad_lite.lessons.exercises import SOLUTIONS_DIR, solutions, verdict
from ddad_lite.paths import NOTEBOOKS_DIR

SOLUTION_FILES = sorted(SOLUTIONS_DIR.glob("[0-9][0-9]_*.py"))
CASES = [(path.stem, number) for path in SOLUTION_FILES
         for number in sorted(solutions(path.stem[:2]))]
CHECK_CELL = re.compile(r"""^check\(\s*["'](\d\d)["']\s*,\s*(\d+)\s*,""", re.MULTILINE)


@pytest.fixture(scope="module")
def context(smoke_series, tmp_path_factory):
    """The notebooks' parameters in the smoke profile; `out_dir` is set per notebook.

    The teacher cache and the shared runs are copies of those of the session's executed smoke
    series (tests/conftest.py), as for a student who solves an exercise after running its
    notebook: a run a notebook made is read back (its config and teacher must match), the
    others are trained here, and the series itself stays as it was."""
    run_root, results = smoke_series
    root = tmp_path_factory.mktemp("solutions")
    (root / "data").mkdir()  # nothing prepared: the notebooks fall back to embedded datasets
    cache = copy_teacher_cache(results["cache_dir"], root / "teachers")
    shutil.copytree(run_root / "shared_runs", root / "runs" / "shared_runs",
                    ignore=shutil.ignore_patterns("*.lock", "*.tmp"))
    return {"profile": "smoke", "device": "cpu", "seed": 0, "cache_dir": str(cache),
            "data_root": str(root / "data"), "runs": root / "runs"}


@pytest.mark.parametrize("stem,number", CASES, ids=[f"{s[:2]}-{n}" for s, n in CASES])
def test_the_solution_passes_its_check(stem, number, context):
    notebook = stem[:2]
    ctx = {k: v for k, v in context.items() if k != "runs"}
    answer = solutions(notebook)[number](**ctx, out_dir=str(context["runs"] / stem))
    ok, line = verdict(notebook, number, answer)
    assert ok is True, line


def registered_checks() -> set:
    exercises._load_checks()
    return set(exercises.CHECKS)


def test_every_check_has_a_solution_and_every_solution_a_check():
    solved = {(stem[:2], number) for stem, number in CASES}
    checked = registered_checks()
    assert not checked - solved, f"exercises without a solution: {sorted(checked - solved)}"
    assert not solved - checked, f"solutions without a check: {sorted(solved - checked)}"


def test_every_check_cell_of_a_notebook_has_a_check_and_a_solution():
    cells = {(nb, int(n)) for src in sorted((NOTEBOOKS_DIR / "src").glob("[0-9][0-9]_*.py"))
             for nb, n in CHECK_CELL.findall(src.read_text(encoding="utf-8"))}
    missing = cells - registered_checks()
    assert not missing, f"notebook exercises without a registered check: {sorted(missing)}"
    unsolved = {(nb, n) for nb, n in cells if n not in solutions(nb)}
    assert not unsolved, f"notebook exercises without a solution: {sorted(unsolved)}"


WRONG_ANSWERS = [
    ("00", 1, {"accuracy": 0.9, "recipe": {"dataset": "shapes", "epochs": 9,
                                          "train_size": 1}}),  # not the smoke recipe
    ("00", 3, [[1, 2], [3, 4]]),  # not 10 x 10
    ("00", 3, [[400] * 10] * 10),  # counts 40,000 images, not the 4,000 of the test split
    ("04", 1, {"cifar10": 3.2, "cifar100": 3.2}),  # CIFAR-100 has ten times the classes
    ("04", 2, {"cached": 0.9, "from_file": 0.5}),  # the same weights score the same
    ("04", 3, [(4, 0.5), (2, 0.6)]),  # not in the order of training
    ("05", 3, {"sky": {"iou": 0.5, "share": 0.3}, "ground": {"iou": 0.2, "share": 0.3}}),
    ("05", 4, {"input": (2, 3, 64, 96), "output": (2, 6, 32, 32)}),  # not the input's size
    ("06", 4, {"fifo": 0.1, "float32": 0.2}),  # no reservoir to compare with
    ("06", 5, -0.05),  # a maximum is never below one of its values
    ("07", 1, {"dfad": [0.1], "ddad": [0.5]}),  # one seed shows no spread
    ("07", 2, {4: {"dfad": 0.1, "ddad": 0.2}, 8: {"dfad": 0.1}}),  # not the same methods
    ("07", 4, {5.0: 0.9}),  # without the term missing
]


@pytest.mark.parametrize("notebook,number,answer", WRONG_ANSWERS,
                         ids=[f"{nb}-{n}-{i}" for i, (nb, n, _) in enumerate(WRONG_ANSWERS)])
def test_a_wrong_answer_gets_a_hint(notebook, number, answer):
    ok, line = verdict(notebook, number, answer)
    assert ok is False and "not yet" in line, line
