"""CheckResult and Report: what students see."""

from inception_course.exercises import CheckResult
from inception_course.exercises.result import Report


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
