"""check_output_size: PyTorch's own shapes decide; the usual slips - shortcuts that only hold for
padding kernel // 2 among them - are rejected, each with its own message."""

import math

import numpy as np
import pytest
import torch

from inception_course.exercises import check_output_size
from inception_course.exercises.arithmetic import reference_output_size


def correct(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def measured(size, kernel, stride=1, padding=0):  # runs a layer instead of using the formula
    return torch.nn.MaxPool2d(kernel, stride, padding)(torch.zeros(1, 1, size, size)).shape[-1]


def test_reference_sizes_are_the_stem_s():
    sizes = [reference_output_size(299, 3, 2), reference_output_size(149, 3), reference_output_size(71, 3, 2)]
    assert sizes == [149, 147, 35]


def test_correct_formula_passes():
    assert check_output_size(correct, verbose=False).passed
    assert check_output_size(lambda *a: np.int64(correct(*a)), verbose=False).passed  # numpy ints are whole numbers
    assert check_output_size(lambda n, k, s=1, p=0: math.floor((n + 2 * p - k) / s) + 1, verbose=False).passed


LISTED = {(n, k, s, p): correct(n, k, s, p) for n, k, s, p in [
    (299, 3, 2, 0), (149, 3, 1, 0), (147, 3, 1, 1), (147, 3, 2, 0), (73, 1, 1, 0), (73, 3, 1, 0), (71, 3, 2, 0),
    (35, 3, 1, 1), (35, 3, 2, 0), (17, 7, 1, 3), (17, 3, 2, 0), (224, 7, 2, 3), (28, 5, 1, 2), (8, 3, 2, 0),
    (32, 3, 2, 1), (10, 2, 2, 0), (10, 3, 1, 2), (15, 5, 2, 1), (8, 1, 1, 1), (20, 7, 3, 1), (9, 3, 2, 2),
    (14, 4, 2, 1), (5, 5, 1, 0), (12, 1, 2, 0), (7, 3, 3, 1), (33, 5, 4, 3)]}

WRONG = {
    "answers typed in": (lambda n, k, s=1, p=0: LISTED.get((n, k, s, p), 0), "expected"),
    "no + 1": (lambda s, k, st=1, p=0: (s + 2 * p - k) // st, "the '+ 1'"),
    "rounded up": (lambda s, k, st=1, p=0: math.ceil((s + 2 * p - k) / st) + 1, "round down"),
    "no padding": (lambda s, k, st=1, p=0: (s - k) // st + 1, "padding is missing"),
    "padding counted once": (lambda s, k, st=1, p=0: (s + p - k) // st + 1, "the padding is counted once"),
    "same-padding shortcut": (lambda s, k, st=1, p=0: math.ceil(s / st) if p > 0 else (s - k) // st + 1,
                              "'same padding' shortcut"),
    "kernel // 2 as padding": (lambda s, k, st=1, p=0: (s + 2 * (k // 2) - k) // st + 1, "kernel // 2 as the padding"),
    "no stride": (lambda s, k, st=1, p=0: s + 2 * p - k + 1, "the stride is missing"),
    "steps, not positions": (lambda s, k, st=1, p=0: (s + 2 * p - k) / st, "number of steps"),
    "a float": (lambda s, k, st=1, p=0: (s + 2 * p - k) / st + 1 if (s + 2 * p - k) % st == 0 else -1, "a float"),
    "a string": (lambda s, k, st=1, p=0: str(correct(s, k, st, p)), "whole number"),
    "a bool": (lambda s, k, st=1, p=0: True, "whole number"),
    "wrong signature": (lambda s, k: s - k + 1, "raised TypeError"),
    "kernel and stride swapped": (lambda s, k, st=1, p=0: (s + 2 * p - st) // k + 1, "floor((size + 2 * padding - kernel)"),
    "not a function": (42, "expected a function"),
    "measured with a layer": (measured, "library's own implementation (MaxPool2d"),
    "the checker's reference": (reference_output_size, "library's own implementation (reference_output_size"),
}


@pytest.mark.parametrize("name", WRONG)
def test_slips_are_named(name):
    student, expected = WRONG[name]
    result = check_output_size(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
    assert len(result.messages) == 1  # one clear message, not the same slip many times
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_the_failing_case_is_named():
    result = check_output_size(lambda s, k, st=1, p=0: (s + p - k) // st + 1, verbose=False)
    assert "output_size(147, kernel=3, stride=1, padding=1) gave 146, expected 147" in result.messages[0]
