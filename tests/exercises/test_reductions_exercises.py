"""check_grid_reduction and check_reduction_a: the solution passes for every filter set; wrong
blocks (widths, order, pooling, padding, strides, dropout, batch norm, typed-in numbers) fail."""

import pytest
from torch import nn

from inception_course.exercises import check_grid_reduction, check_reduction_a
from inception_course.models.inception_v3 import ReductionA as V3Reduction
from inception_course.models.inception_v4 import ReductionA
from inception_course.models.layers import ConvBNReLU, InceptionBlock


def reduction(c, a, r, d, e, *, pool=None, order=(0, 1, 2), pad=1, stride=2, bn=True, drop=False, mid=None,
              reverse=False):
    """Reduction-A (c, k=r, l=d, m=e, n=a) / v3's (c, ch3x3=a, red=r, dbl=d=e); the keywords make one mistake each."""
    layers = [ConvBNReLU(c, r, 1), ConvBNReLU(r, mid or d, 3, padding=pad), ConvBNReLU(mid or d, e, 3, stride=stride)]
    if drop:
        layers.insert(1, nn.Dropout(0.1))
    if reverse:
        layers[1], layers[2] = ConvBNReLU(r, d, 3, stride=stride), ConvBNReLU(d, e, 3, padding=1)
    branches = [ConvBNReLU(c, a, 3, stride=2, bn=bn), nn.Sequential(*layers), pool or nn.MaxPool2d(3, stride=2)]
    return InceptionBlock([branches[i] for i in order])


def reduction_a(c, k, l, m, n, **mistake):  # noqa: E741
    return reduction(c, n, k, l, m, **mistake)


def grid_reduction(c, ch3x3, red, dbl, **mistake):
    return reduction(c, ch3x3, red, dbl, dbl, **mistake)


def test_solutions_pass():
    assert check_reduction_a(reduction_a, verbose=False).passed
    assert check_grid_reduction(grid_reduction, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n + 1), "channels"),  # off by one
        (lambda c, k, l, m, n: reduction_a(c, l, k, m, n), "parameters"),  # k and l swapped
        (lambda c, k, l, m, n: reduction_a(c, k, l, n, m), "parameters"),  # m and n swapped
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, order=(1, 0, 2)), "another order"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pool=nn.AvgPool2d(3, stride=2)), "AvgPool2d"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pool=nn.MaxPool2d(3, stride=2, padding=1)), "grid"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pad=0), "grid"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, stride=1), "grid"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, bn=False), "parameters"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, drop=True), "in train"),  # "in train(ing) mode": a dropout the reference lacks
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, reverse=True), "computes something else"),
        (lambda c, k, l, m, n: reduction_a(c, 24, 28, 32, 48), "with inception_resnet_v1"),  # typed-in numbers
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, order=(0, 1)), "channels"),  # the pool forgotten
        (ReductionA, "library's own implementation"),
        (reduction_a(48, 24, 28, 32, 48), "not a built module"),
        (lambda c, k, l, m, n: None, "should give a torch.nn.Module"),
    ],
)
def test_wrong_reduction_a_fails(student, expected):
    result = check_reduction_a(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


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
