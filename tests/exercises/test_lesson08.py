"""Lesson 8's checkers (residual versus plain): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson08.py``)."""

import pytest

from inception_course.exercises import check_first_epoch_below, check_shared_target, check_speed_up
from inception_course.exercises.lesson08 import made_up_run
from inception_course.experiments.speed import epochs_to_reach, reachable_error, speedup


def first_epoch_below(run, error, metric, *, strict=False, index=False):
    for i, (epoch, value) in enumerate(zip(*run.curve(metric, "epoch"))):
        if value < error if strict else value <= error:
            return i if index else epoch
    return None


def shared_target(runs, metric):
    return max(min(run.curve(metric)[1]) for run in runs)


def speed_up(plain, residual, metric):
    target = shared_target([plain, residual], metric)
    return first_epoch_below(plain, target, metric) / first_epoch_below(residual, target, metric)


def test_solutions_pass():
    assert check_first_epoch_below(first_epoch_below, verbose=False).passed
    assert check_shared_target(shared_target, verbose=False).passed
    assert check_speed_up(speed_up, verbose=False).passed


def best_epoch(run, error, metric):
    epochs, values = run.curve(metric)
    return epochs[values.index(min(values))] if min(values) <= error else None


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda r, e, m: first_epoch_below(r, e, m, strict=True), "use <=, not <"),
        (lambda r, e, m: first_epoch_below(r, e, m, index=True), "index in the list"),
        (best_epoch, "FIRST epoch"),
        (lambda r, e, m: first_epoch_below(r, e, "top1"), "other metric"),
        (lambda r, e, m: first_epoch_below(r, e, m) or 0, "expected None"),
        (lambda r, e, m: first_epoch_below(r, e, m) or len(r.curve(m)[0]), "expected None"),
        (lambda r, e, m: next((x for x, v in zip(*r.curve(m)) if v >= e), None), "expected"),
        (lambda r, e, m: next((x for x, v in zip(*r.curve(m, "wall_time")) if v <= e), None), "expected"),
        (lambda r, e, m: str(first_epoch_below(r, e, m)), "return an epoch number or None"),
        (lambda r, e, m: epochs_to_reach(r, e, m), "library's own"),
        (lambda r, e: 1, "raised"),
    ],
)
def test_wrong_first_epochs_fail(student, expected):
    result = check_first_epoch_below(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda runs, m: min(min(r.curve(m)[1]) for r in runs), "which the other never reaches"),
        (lambda runs, m: max(r.curve(m)[1][-1] for r in runs), "a curve can rise at the end"),
        (lambda runs, m: min(r.curve(m)[1][-1] for r in runs), "expected"),
        (lambda runs, m: max(min(r.curve("top1")[1]) for r in runs), "top5"),
        (lambda runs, m: min(runs[0].curve(m)[1]), "expected"),
        (lambda runs, m: sum(min(r.curve(m)[1]) for r in runs) / len(runs), "expected"),
        (lambda runs, m: max(max(r.curve(m)[1]) for r in runs), "expected"),
        (lambda runs, m: 100 * shared_target(runs, m), "expected"),
        (lambda runs, m: None, "expected"),
        (lambda runs, m: reachable_error(runs, m), "library's own"),
        (lambda runs, m: runs[2], "raised"),
    ],
)
def test_wrong_targets_fail(student, expected):
    result = check_shared_target(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda p, r, m: 1 / speed_up(p, r, m), "upside down"),
        (lambda p, r, m: speed_up(p, r, m) - 1, "expected"),
        (lambda p, r, m: speed_up(p, r, "top1"), "top5"),
        (lambda p, r, m: first_epoch_below(p, shared_target([p, r], m), m) - first_epoch_below(r, shared_target([p, r], m), m),
         "expected"),
        (lambda p, r, m: len(p.curve(m)[0]) / len(r.curve(m)[0]), "expected"),
        (lambda p, r, m: (first_epoch_below(p, min(p.curve(m)[1]), m) or 1) / (first_epoch_below(r, min(r.curve(m)[1]), m) or 1),
         "expected"),
        (lambda p, r, m: min(p.curve(m)[1]) / min(r.curve(m)[1]), "expected"),
        (lambda p, r, m: round(speed_up(p, r, m)), "expected"),
        (lambda p, r, m: f"{speed_up(p, r, m):.2f}x", "expected"),
        (lambda p, r, m: speedup(p, r, m), "library's own"),
        (lambda p, r, m: first_epoch_below(p, 0.0, m) / 1, "raised"),
        (3.0, "expected a function"),
    ],
)
def test_wrong_speed_ups_fail(student, expected):
    result = check_speed_up(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_library_functions_on_a_made_up_pair():
    plain = made_up_run("plain", [0.9, 0.7, 0.6, 0.5])
    residual = made_up_run("residual", [0.8, 0.5, 0.55, 0.52])
    assert epochs_to_reach(plain, 0.6) == 3 and epochs_to_reach(residual, 0.6) == 2
    assert epochs_to_reach(plain, 0.4) is None
    assert epochs_to_reach(plain, 0.6, x="wall_time") == 30.0
    assert reachable_error([plain, residual]) == 0.5
    assert speedup(plain, residual) == 4 / 2
    with pytest.raises(ValueError, match="both runs must reach"):
        speedup(plain, residual, error=0.45)
