"""The exercise checks: unanswered, wrong and right answers each give their one line."""

import pytest

from ddad_lite.lessons import exercises
from ddad_lite.lessons.exercises import NotYet, check, exercise, verdict


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(exercises, "CHECKS", {})
    monkeypatch.setattr(exercises, "CHECK_MODULES", [])

    @exercise("99", 1)
    def _positive(answer):
        if answer <= 0:
            raise NotYet("the answer is a positive number")
        return f"{answer} is positive"

    return exercises.CHECKS


def test_unanswered_points_to_the_solution(registry, capsys):
    assert check("99", 1, None) is None
    line = capsys.readouterr().out
    assert "not answered yet" in line and "notebooks/solutions/99_" in line and "solution_1" in line


def test_wrong_answer_gives_the_hint_without_raising(registry):
    ok, line = verdict("99", 1, -3)
    assert ok is False and "positive number" in line


def test_right_answer_says_what_it_shows(registry):
    assert verdict(99, 1, 4) == (True, "exercise 1: correct. 4 is positive")


def test_unknown_exercise_and_double_registration_are_refused(registry):
    with pytest.raises(KeyError, match="no check registered"):
        verdict("99", 2, 1)
    with pytest.raises(ValueError, match="two checks"):
        exercise("99", 1)(lambda answer: "")
