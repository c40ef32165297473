"""check_output_size: PyTorch's own shapes decide; the usual slips get their own message."""

import math

import numpy as np
import pytest

from inception_course.exercises import check_output_size
from inception_course.exercises.arithmetic import reference_output_size


def correct(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def test_reference_sizes_are_the_stem_s():
    sizes = [reference_output_size(299, 3, 2), reference_output_size(149, 3), reference_output_size(71, 3, 2)]
    assert sizes == [149, 147, 35]


def test_correct_formula_passes():
    assert check_output_size(correct, verbose=False).passed
    assert check_output_size(lambda *a: np.int64(correct(*a)), verbose=False).passed  # numpy ints are whole numbers


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda s, k, st=1, p=0: (s + 2 * p - k) // st, "the '+ 1'"),
        (lambda s, k, st=1, p=0: math.ceil((s + 2 * p - k) / st) + 1, "round down"),
        (lambda s, k, st=1, p=0: (s - k) // st + 1, "padding is missing"),
        (lambda s, k, st=1, p=0: (s + 2 * p - k) / st + 1 if (s + 2 * p - k) % st == 0 else -1, "a float"),
        (lambda s, k, st=1, p=0: str(correct(s, k, st, p)), "whole number"),
        (lambda s, k: s - k + 1, "raised TypeError"),
        (42, "expected a function"),
    ],
)
def test_slips_are_named(student, expected):
    result = check_output_size(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
    assert len(result.messages) == 1  # one clear message, not the same slip sixteen times
