"""check_factorized_conv: a correct factorisation passes, each common mistake is named."""

import pytest
from torch import nn

from inception_course.exercises import check_factorized_conv


class Factorized(nn.Module):
    def __init__(self, c_in, c_out, n, order="1xn first", pad=True, between=None, bias=False):
        super().__init__()
        p = n // 2 if pad else 0
        first = nn.Conv2d(c_in, c_out, (1, n), padding=(0, p), bias=bias)
        second = nn.Conv2d(c_out, c_out, (n, 1), padding=(p, 0), bias=bias)
        if order != "1xn first":
            first = nn.Conv2d(c_in, c_out, (n, 1), padding=(p, 0), bias=bias)
            second = nn.Conv2d(c_out, c_out, (1, n), padding=(0, p), bias=bias)
        self.layers = nn.Sequential(first, *([between] if between is not None else []), second)

    def forward(self, x):
        return self.layers(x)


def messages(result):
    return " ".join(result.messages)


@pytest.mark.parametrize("options", [{}, {"order": "nx1 first"}, {"bias": True}])
def test_correct_factorisations_pass(options):
    result = check_factorized_conv(lambda c_in, c_out, n: Factorized(c_in, c_out, n, **options), verbose=False)
    assert result.passed, result.messages


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda i, o, n: nn.Conv2d(i, o, n, padding=n // 2), "one 7x7 conv"),
        (lambda i, o, n: Factorized(i, o, n, pad=False), "pad the 1x7 conv"),
        (lambda i, o, n: Factorized(i, o, n, between=nn.ReLU()), "back to back"),
        (lambda i, o, n: Factorized(i, o, 7), "kernels 1x3 and 3x1"),  # n hard-coded to 7
        (lambda i, o, n: nn.Sequential(nn.Conv2d(i, o, (1, n), padding=(0, n // 2))), "expected exactly two convs"),
    ],
)
def test_mistakes_are_named(build, expected):
    result = check_factorized_conv(build, verbose=False)
    assert not result.passed
    assert expected in messages(result)


def test_an_instance_instead_of_the_class_is_explained():
    result = check_factorized_conv(Factorized(8, 16, 7), verbose=False)
    assert not result.passed and "not an instance" in messages(result)
