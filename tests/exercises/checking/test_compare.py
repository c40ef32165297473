"""The shared comparison helpers: answers given as numpy scalars or one-element tensors are read as
the numbers or booleans they are; booleans are not numbers and numbers are not booleans."""

import numpy as np
import pytest
import torch

from inception_course.exercises.checking.compare import as_bool, as_number


@pytest.mark.parametrize("value", [0.25, 1, np.float32(0.25), np.float64(0.25), np.int64(1), torch.tensor(0.25)])
def test_numbers_of_every_kind_are_read(value):
    assert as_number(value) == pytest.approx(float(value))


@pytest.mark.parametrize("value", [True, np.bool_(True), torch.tensor(True), "0.25", None, torch.zeros(2), [0.25]])
def test_what_is_not_a_number_is_none(value):
    assert as_number(value) is None


@pytest.mark.parametrize("value, expected", [(True, True), (np.bool_(False), False), (torch.tensor(True), True)])
def test_booleans_of_every_kind_are_read(value, expected):
    assert as_bool(value) is expected


@pytest.mark.parametrize("value", [1, 0.0, np.float64(1.0), "True", None, torch.tensor([True, False])])
def test_what_is_not_a_boolean_is_none(value):
    assert as_bool(value) is None
