"""Lesson 8's checkers (residual versus plain): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson08.py``)."""

import pytest

from inception_course.exercises import check_first_epoch_below, check_shared_target, check_speed_up
from inception_course.exercises.lesson08 import made_up_pair, made_up_run
from inception_course.experiments import summarize_pair
from inception_course.experiments.speed import epochs_to_reach, speedup
from inception_course.experiments.speed import shared_target as library_target


def first_epoch_below(run, error, metric, *, strict=False, index=False):
    for i, (epoch, value) in enumerate(zip(*run.curve(metric, "epoch"))):
        if value < error if strict else value <= error:
            return i if index else epoch
    return None


def shared_target(plain, residual, metric):
    return max(plain.curve(metric)[1][-1], residual.curve(metric)[1][-1])


def speed_up(plain, residual, metric):
    target = shared_target(plain, residual, metric)
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
        (lambda p, r, m: max(min(x.curve(m)[1]) for x in (p, r)), "largest of the runs' best errors"),  # the old definition
        (lambda p, r, m: min(x.curve(m)[1][-1] for x in (p, r)), "the better of the two final errors"),
        (lambda p, r, m: min(min(x.curve(m)[1]) for x in (p, r)), "which the other never reaches"),
        (lambda p, r, m: shared_target(p, r, "top1"), "top5"),
        (lambda p, r, m: p.curve(m)[1][-1], "expected"),
        (lambda p, r, m: (p.curve(m)[1][-1] + r.curve(m)[1][-1]) / 2, "expected"),
        (lambda p, r, m: max(max(x.curve(m)[1]) for x in (p, r)), "expected"),
        (lambda p, r, m: 100 * shared_target(p, r, m), "expected"),
        (lambda p, r, m: round(shared_target(p, r, m), 1), "expected"),
        (lambda p, r, m: None, "return a number"),
        (lambda p, r, m: bool(shared_target(p, r, m)), "expected"),
        (lambda p, r, m: library_target(p.curve(m)[1], r.curve(m)[1]), "library's own"),
        (lambda p, r, m: summarize_pair([p, r], m).target, "library's own"),
        (lambda runs, m: max(x.curve(m)[1][-1] for x in runs), "raised"),  # the old signature
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
        (lambda p, r, m: first_epoch_below(p, shared_target(p, r, m), m) - first_epoch_below(r, shared_target(p, r, m), m),
         "expected"),
        (lambda p, r, m: first_epoch_below(p, max(min(x.curve(m)[1]) for x in (p, r)), m)
         / first_epoch_below(r, max(min(x.curve(m)[1]) for x in (p, r)), m), "expected"),  # the old target
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


def drops_the_last_record(run):
    run.history.records.pop()
    return run


@pytest.mark.parametrize(
    "checker, student",
    [
        (check_first_epoch_below, lambda r, e, m: first_epoch_below(drops_the_last_record(r), e, m)),
        (check_shared_target, lambda p, r, m: shared_target(p, r, m) if p.config.update(seen=True) is None else 0),
        (check_speed_up, lambda p, r, m: speed_up(p, r, m) if r.history.records.append({"kind": "note"}) is None else 0),
    ],
)
def test_a_function_that_changes_a_run_fails(checker, student):
    result = checker(student, verbose=False)
    assert not result.passed
    assert "in place" in " ".join(result.messages) and "raised" not in " ".join(result.messages)


def test_pairs_of_one_to_four_epochs_with_ties_are_checked():
    result = check_speed_up(speed_up, verbose=False)
    labels = " ".join(result.checks)
    assert "one epoch each" in labels and "reached again and again" in labels and "with ties, drawn" in labels
    one_epoch = made_up_pair([0.7], [0.6])
    assert speed_up(*one_epoch, "top1") == summarize_pair(list(one_epoch)).plain_epochs == 1


def test_library_functions_on_a_made_up_pair():
    plain = made_up_run("plain", [0.9, 0.7, 0.6, 0.5])
    residual = made_up_run("residual", [0.8, 0.5, 0.55, 0.52])
    assert epochs_to_reach(plain, 0.6) == 3 and epochs_to_reach(residual, 0.6) == 2
    assert epochs_to_reach(plain, 0.4) is None
    assert epochs_to_reach(plain, 0.6, x="wall_time") == 30.0
    assert library_target(plain.curve()[1], residual.curve()[1]) == 0.52  # the worse final error
    assert speedup(plain, residual) == 4 / 2
    with pytest.raises(ValueError, match="both runs must reach"):
        speedup(plain, residual, error=0.45)


def test_numpy_numbers_are_accepted():
    np = pytest.importorskip("numpy")
    assert check_shared_target(lambda p, r, m: np.float64(shared_target(p, r, m)), verbose=False).passed
    assert check_speed_up(lambda p, r, m: np.float64(speed_up(p, r, m)), verbose=False).passed


def test_the_checker_target_is_the_lesson_tables():
    """One definition: the exercise's answer is summarize_pair's target, seed pair by seed pair."""
    plain, residual = made_up_pair([0.9, 0.4, 0.6, 0.7], [0.8, 0.5, 0.55, 0.45])
    assert summarize_pair([plain, residual]).target == shared_target(plain, residual, "top1") == 0.7
