"""check_factorized_conv: a correct factorisation passes (either order); every way of breaking
what the exercise asks - structure, bias, middle width, padding, extra layers or functional
extras, typed-in sizes, the library's code - is rejected with a message that names it."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inception_course.exercises import check_factorized_conv
from inception_course.models.layers import ConvBNReLU


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
