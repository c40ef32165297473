"""Lesson 2's checkers (BN-Inception and Inception-v3): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson02.py``)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inception_course.exercises import (
    check_factorized_conv,
    check_grid_reduction,
    check_label_smoothing,
)
from inception_course.models.inception_v3 import ReductionA as V3Reduction
from inception_course.models.layers import ConvBNReLU, InceptionBlock

from hand_built import grid_reduction


class Factorized(nn.Module):
    def __init__(self, c_in, c_out, n, order="1xn first", pad=True, between=None, after=None, bias=False, mid=None):
        super().__init__()
        p = n // 2 if pad else 0
        mid = c_out if mid is None else mid
        kernels = [((1, n), (0, p)), ((n, 1), (p, 0))]
        if order != "1xn first":
            kernels.reverse()
        first = nn.Conv2d(c_in, mid, kernels[0][0], padding=kernels[0][1], bias=bias)
        second = nn.Conv2d(mid, c_out, kernels[1][0], padding=kernels[1][1], bias=bias)
        self.layers = nn.Sequential(first, *([between] if between is not None else []), second,
                                    *([after] if after is not None else []))

    def forward(self, x):
        return self.layers(x)


class FunctionalExtra(Factorized):
    """Right layers; forward adds a ReLU (or dropout) that no module shows."""

    def __init__(self, c_in, c_out, n, extra):
        super().__init__(c_in, c_out, n)
        self.extra = extra

    def forward(self, x):
        return self.extra(self.layers(x), self.training)


class Reversed(Factorized):
    """Built 1xn then nx1, but applies them in the other order (only works when in == out)."""

    def forward(self, x):
        return self.layers[0](self.layers[1](x))


def messages(result):
    return " ".join(result.messages)


@pytest.mark.parametrize("options", [{}, {"order": "nx1 first"}])
def test_correct_factorisations_pass(options):
    result = check_factorized_conv(lambda c_in, c_out, n: Factorized(c_in, c_out, n, **options), verbose=False)
    assert result.passed, result.messages


def build(**options):
    return lambda c_in, c_out, n: Factorized(c_in, c_out, n, **options)


WRONG = {
    "one n x n conv": (lambda i, o, n: nn.Conv2d(i, o, n, padding=n // 2, bias=False), "one 7x7 conv"),
    "no padding": (build(pad=False), "pad the 1x7 conv"),
    "ReLU between": (build(between=nn.ReLU()), "has a ReLU (layers.1)"),
    "batch norm between": (lambda i, o, n: Factorized(i, o, n, between=nn.BatchNorm2d(o)), "has a BatchNorm2d"),
    "batch norm after": (lambda i, o, n: Factorized(i, o, n, after=nn.BatchNorm2d(o)), "has a BatchNorm2d (layers.2)"),
    "dropout between": (build(between=nn.Dropout(0.1)), "has a Dropout"),
    "bias=True": (build(bias=True), "has a bias: build both convs with bias=False"),
    "middle width in_channels": (lambda i, o, n: Factorized(i, o, n, mid=i), "the middle width is out_channels"),
    "n typed in": (lambda i, o, n: Factorized(i, o, 7), "kernels 1x3 and 3x1"),
    "channels typed in": (lambda i, o, n: Factorized(8, 16, n), "built with (16, 8, 3)"),
    "input width typed in": (lambda i, o, n: Factorized(3, o, n), "no conv takes the 8 input channels"),
    "one conv only": (lambda i, o, n: nn.Sequential(nn.Conv2d(i, o, (1, n), padding=(0, n // 2))), "expected exactly two convs"),
    "functional ReLU": (lambda i, o, n: FunctionalExtra(i, o, n, lambda x, training: F.relu(x)), "not its two convs"),
    "functional dropout": (lambda i, o, n: FunctionalExtra(i, o, n, lambda x, training: F.dropout(x, 0.1, training)),
                           "in train mode its output is not its two convs"),
    "wrong order of application": (Reversed, "raised RuntimeError"),
    "ConvBNReLU from the library": (lambda i, o, n: nn.Sequential(ConvBNReLU(i, o, (1, n), padding=(0, n // 2)),
                                                                  ConvBNReLU(o, o, (n, 1), padding=(n // 2, 0))),
                                    "library's own implementation (ConvBNReLU"),
    "returns a tensor": (lambda i, o, n: torch.zeros(1), "should build a torch.nn.Module"),
    "strided": (lambda i, o, n: nn.Sequential(nn.Conv2d(i, o, (1, n), stride=2, padding=(0, n // 2), bias=False),
                                              nn.Conv2d(o, o, (n, 1), padding=(n // 2, 0), bias=False)), "has stride (2, 2)"),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistakes_are_named(name):
    factory, expected = WRONG[name]
    result = check_factorized_conv(factory, verbose=False)
    assert not result.passed
    assert expected in messages(result)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_an_instance_instead_of_the_class_is_explained():
    result = check_factorized_conv(Factorized(8, 16, 7), verbose=False)
    assert not result.passed and "not an instance" in messages(result)


def smoothed(logits, labels, eps):
    k = logits.shape[1]
    target = (1 - eps) * F.one_hot(labels, k) + eps / k
    return -(target * logits.log_softmax(1)).sum(1).mean()


def test_smoothing_solution_passes():
    assert check_label_smoothing(smoothed, verbose=False).passed


def k_minus_one(logits, labels, eps):
    k = logits.shape[1]
    one_hot = F.one_hot(labels, k).float()
    target = (1 - eps) * one_hot + eps / (k - 1) * (1 - one_hot)
    return -(target * logits.log_softmax(1)).sum(1).mean()


@pytest.mark.parametrize(
    "student, expected",
    [
        (k_minus_one, "K - 1 wrong classes"),
        (lambda z, y, e: smoothed(z, y, e) * z.shape[0], "summed over the batch"),
        (lambda z, y, e: F.cross_entropy(z, y), "no smoothing"),
        (lambda z, y, e: -((F.one_hot(y, z.shape[1]) + e / z.shape[1]) * z.log_softmax(1)).sum(1).mean(), "full weight 1"),
        (lambda z, y, e: smoothed(z, y, 0.1), "typed in"),
        (lambda z, y, e: -(((1 - e) * F.one_hot(y, z.shape[1]) + e / z.shape[1]) * z.softmax(1).log()).sum(1).mean() + 1e-3,
         "expected"),
        (lambda z, y, e: -(((1 - e) * F.one_hot(y, z.shape[1]) + e / z.shape[1]) * z.softmax(1)).sum(1).mean(), "expected"),
        (lambda z, y, e: nn.CrossEntropyLoss(label_smoothing=e)(z, y), "passes label_smoothing to PyTorch"),
        (lambda z, y, e: F.cross_entropy(z, y, label_smoothing=e), "passes label_smoothing to PyTorch"),
        (lambda z, y, e: smoothed(z, y, e).item(), "one-number tensor"),
        (lambda z, y, e: smoothed(z, y, e) if z.shape[1] < 100 else smoothed(z[:, :10], y % 10, e), "1000 classes"),
        (lambda z, y: smoothed(z, y, 0.1), "raised"),
        ("smoothed", "expected a function"),
    ],
)
def test_wrong_smoothing_fails(student, expected):
    result = check_label_smoothing(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_the_tripwire_is_removed_afterwards():
    check_label_smoothing(lambda z, y, e: F.cross_entropy(z, y, label_smoothing=e), verbose=False)
    logits, labels = torch.randn(3, 4), torch.tensor([0, 1, 2])
    assert F.cross_entropy(logits, labels, label_smoothing=0.1) > 0


def test_the_solution_passes():
    assert check_grid_reduction(grid_reduction, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, a, r, d: grid_reduction(c, a, r, d + 1), "channels"),
        (lambda c, a, r, d: grid_reduction(c, r, a, d), "channels"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, order=(2, 1, 0)), "another order"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, pool=nn.AvgPool2d(3, stride=2)), "AvgPool2d"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, pad=0), "grid"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, stride=1), "grid"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, bn=False), "parameters"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, drop=True), "in train"),  # "in train(ing) mode": a dropout the reference lacks
        (lambda c, a, r, d: grid_reduction(c, a, r, d, reverse=True), "computes something else"),
        (lambda c, a, r, d: grid_reduction(c, a, r, d, mid=r), "parameters"),
        (lambda c, a, r, d: grid_reduction(288, 384, 64, 96), "in_channels=40"),  # typed-in numbers
        (V3Reduction, "library's own implementation"),
        (lambda c, a, r, d: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_wrong_grid_reduction_fails(student, expected):
    result = check_grid_reduction(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


# Wrong answers that passed when every input had one size, losses were never back-propagated,
# inputs were not looked at after the call, and the library's layers re-wrapped counted as the student's.

class LibraryParts:
    """A lookup the authorship check does not read into (a dict of classes)."""

    classes = {"conv": ConvBNReLU, "v3": V3Reduction}


def convs_of_library_units(i, o, n):
    """Two bare convs - taken out of two of the library's ConvBNReLU units."""
    unit = LibraryParts.classes["conv"]
    return nn.Sequential(unit(i, o, (1, n), padding=(0, n // 2)).conv, unit(o, o, (n, 1), padding=(n // 2, 0)).conv)


class ClearsInput(Factorized):
    def forward(self, x):
        out = self.layers(x)
        x.zero_()
        return out


@pytest.mark.parametrize(
    "student, expected",
    [
        (ClearsInput, "changed its input in place (argument 1"),
        (convs_of_library_units, "made of layers taken from the library's own ConvBNReLU"),
    ],
)
def test_factorised_conv_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_factorized_conv(student, verbose=False)
    assert not result.passed
    assert expected in messages(result)


def logsumexp_detached(z, y, e):
    """The right value, but the normaliser is cut off from the graph: the gradient is wrong."""
    k = z.shape[1]
    target = (1 - e) * F.one_hot(y, k) + e / k
    return (z.logsumexp(1).detach() - (target * z).sum(1)).mean()


def shifted_in_place(z, y, e):
    z.sub_(z.max(1, keepdim=True).values)  # "for numerical stability", in place
    return smoothed(z, y, e)


def clips_labels(z, y, e):
    y.clamp_(min=0)  # changes no value, but in place
    return smoothed(z, y, e)


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda z, y, e: torch.tensor(smoothed(z, y, e).item()), "carries no gradient"),
        (logsumexp_detached, "wrong gradient with respect to the logits"),
        (shifted_in_place, "raised RuntimeError"),  # PyTorch refuses in-place changes of logits that need gradients
        (clips_labels, "changed its input in place (argument 2"),
        (lambda z, y, e: smoothed(z, y, round(e, 1)), "expected"),  # the smoothing rounded
    ],
)
def test_smoothing_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_label_smoothing(student, verbose=False)
    assert not result.passed
    assert expected in messages(result)


class RewrappedReduction(InceptionBlock):
    def __init__(self, *args):
        super().__init__(list(LibraryParts.classes["v3"](*args).branches))


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, a, r, d: grid_reduction(c, a, r, d, pool=nn.MaxPool2d(3, stride=2, ceil_mode=True)), "on an input of shape (3, 23, 18, 18)"),
        (RewrappedReduction, "made of layers taken from the library's own ReductionA"),
    ],
)
def test_grid_reduction_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_grid_reduction(student, verbose=False)
    assert not result.passed
    assert expected in messages(result)
