"""The shared comparison helpers: answers given as numpy scalars or one-element tensors are read as
the numbers or booleans they are (booleans are not numbers, numbers are not booleans); inputs changed
in place are named; a loss is judged by its gradients too; drawn sizes are reproducible and varied."""

import numpy as np
import pytest
import torch

from inception_course.exercises.checking.compare import as_bool, as_int, as_number, gradient_problem, sizes
from inception_course.exercises.checking.inputs import Untouched


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


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int64(3), 3), (torch.tensor(3), 3)])
def test_whole_numbers_of_every_kind_are_read(value, expected):
    assert as_int(value) == expected and type(as_int(value)) is int


@pytest.mark.parametrize("value", [True, np.bool_(True), 3.0, np.float64(3.0), torch.tensor(3.0), "3", None])
def test_what_is_not_a_whole_number_is_none(value):
    assert as_int(value) is None


def test_untouched_names_the_input_changed_in_place_even_without_a_new_value():
    x, pair = torch.randn(3), (torch.ones(2), {"y": torch.zeros(2)})
    inputs = Untouched(x, pair)
    assert inputs.changed() == []
    pair[1]["y"].relu_()  # no value changes, but it was written in place
    assert inputs.changed() == ["argument 2[1]['y'], a tensor of shape (2,)"]
    inputs = Untouched(x, pair)
    x[0] = 5.0
    assert inputs.changed() == ["argument 1, a tensor of shape (3,)"]


def test_gradient_problem_tells_a_rebuilt_or_cut_loss_from_the_right_one():
    logits = torch.randn(4, 3, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 0])
    expected = torch.nn.functional.cross_entropy(logits, labels)
    right = torch.nn.functional.cross_entropy(logits, labels)
    assert gradient_problem(right, expected, {"the logits": logits}) is None
    rebuilt = torch.tensor(right.item())
    assert "carries no gradient" in gradient_problem(rebuilt, expected, {"the logits": logits})
    cut = (logits.logsumexp(1).detach() - logits[torch.arange(4), labels]).mean()
    assert torch.allclose(cut, expected)
    assert "wrong gradient with respect to the logits" in gradient_problem(cut, expected, {"the logits": logits})


def test_sizes_are_reproducible_and_mix_batches_parities_and_shapes():
    drawn = sizes(0, 3, 7, 16)
    assert drawn == sizes(0, 3, 7, 16)
    assert [batch for batch, _, _ in drawn] == [1, 2, 3]
    assert {height % 2 for _, height, _ in drawn} == {0, 1}
    assert all(height != width for _, height, width in drawn[1:])
    assert all(7 <= v <= 16 for _, h, w in drawn for v in (h, w))
