"""CheckResult, Report and the @checker guard: what students see, and the promise that a checker
never raises and records every result (for the grading command)."""

import inspect
import sys

import pytest
import torch
from torch import nn

from inception_course import exercises
from inception_course.exercises import CheckResult
from inception_course.exercises.checking.result import (
    Report,
    checker,
    clear_results_log,
    results_log,
    set_recorder,
)


def test_summary_lists_checks_and_problems(capsys):
    report = Report("Exercise: something")
    report.ok("it runs")
    report.fail("the output is too wide")
    result = report.finish()
    printed = capsys.readouterr().out
    assert not result.passed
    assert "NOT YET" in printed and "ok      it runs" in printed and "to fix  the output is too wide" in printed
    assert str(result) == printed.rstrip("\n")
    assert repr(result) == "CheckResult('Exercise: something', passed=False, 1 problem(s))"


def test_quiet_and_passed():
    report = Report("x")
    report.ok("fine")
    result = report.finish(verbose=False)
    assert result == CheckResult("x", True, [], ["fine"])


@checker("Exercise: a test")
def check_something(report, student, times=1):
    """A checker whose own code breaks after its first check."""
    report.ok("first check")
    if student == "crash":
        raise KeyError("missing")
    if student == "exit":
        sys.exit(3)
    if student == "no grad":
        torch.set_grad_enabled(False)
    report.ok(f"second check x{times}")


def test_the_guard_turns_any_exception_into_a_failed_result(capsys):
    result = check_something("crash")
    assert not result.passed and result.checks == ["first check"]
    assert "KeyError: 'missing'" in result.messages[0]
    assert "NOT YET" in capsys.readouterr().out
    assert "SystemExit: 3" in check_something("exit", verbose=False).messages[0]


def test_a_wrong_call_is_a_failed_result_not_a_type_error():
    result = check_something(1, 2, 3, verbose=False)
    assert not result.passed and "call it as check_something(student, times)" in result.messages[0]


def test_signature_names_and_grad_mode():
    assert str(inspect.signature(check_something)) == "(student, times=1, *, verbose=True) -> inception_course.exercises.checking.result.CheckResult"
    assert check_something.__doc__.startswith("A checker whose")
    assert check_something("no grad", verbose=False).passed
    assert torch.is_grad_enabled()


def test_every_result_is_logged_and_handed_to_the_recorder():
    sent, failing = [], []
    clear_results_log()
    set_recorder(sent.append)
    try:
        check_something("ok", verbose=False)
        check_something("crash", verbose=False)
        set_recorder(lambda result: failing.append(1 / 0))  # a broken recorder never breaks the check
        assert check_something("ok", verbose=False).passed
    finally:
        set_recorder(None)
    assert [r.passed for r in results_log()] == [True, False, True]
    assert [(r.checker, r.passed) for r in sent] == [("check_something", True), ("check_something", False)]
    assert sent[0].exercise == "Exercise: a test" and failing == []


class Hostile:
    """An object that breaks whatever the checker tries on it."""

    def __getattr__(self, name):
        raise RuntimeError(f"no {name}")

    def __call__(self, *args, **kwargs):
        raise SystemExit("bye")


HOSTILE = [None, 42, "text", object(), Hostile(), nn.Identity(), nn.Identity, lambda *a, **k: 1 / 0,
           lambda *a, **k: sys.exit(1), lambda *a, **k: torch.zeros(3), lambda *a, **k: nn.Linear(2, 2)]
CHECKERS = [name for name in exercises.__all__ if name.startswith("check_")]


@pytest.mark.parametrize("name", CHECKERS)
def test_no_checker_raises_on_hostile_submissions(name):
    check = getattr(exercises, name)
    for submission in HOSTILE:
        result = check(submission, verbose=False)
        assert isinstance(result, CheckResult) and not result.passed and result.messages
        assert result.checker == name
    assert not check(verbose=False).passed  # called without a submission
