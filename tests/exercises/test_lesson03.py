"""Lesson 3's checkers (the Inception-v4 stem): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson03.py``)."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from inception_course.exercises import check_inception_resnet_v1_stem, check_output_size, check_stem_shapes
from inception_course.exercises.lesson03 import reference_output_size, reference_stem_shapes
from inception_course.models.inception_resnet import StemV1
from inception_course.models.layers import ConvBNReLU


def correct(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def measured(size, kernel, stride=1, padding=0):  # runs a layer instead of using the formula
    return torch.nn.MaxPool2d(kernel, stride, padding)(torch.zeros(1, 1, size, size)).shape[-1]


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
    "measured with a layer": (measured, "ready-made implementation (MaxPool2d"),
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


def out(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def stem_shapes(n, *, pad_2a=0, pad_5a=0, ceil=False, c3=160, c4=192, c5=384, stride_5a=2):
    """The solution; the keywords switch on one mistake each."""
    o = (lambda s, k, st=1, p=0: -(-(s + 2 * p - k) // st) + 1) if ceil else out
    a = o(n, 3, 2)
    b = o(a, 3, 1, pad_2a)
    d = o(b, 3, 2)
    e = o(d, 3)
    f = o(e, 3, stride_5a, pad_5a)
    return [(32, a, a), (32, b, b), (64, b, b), (c3, d, d), (c4, e, e), (c5, f, f)]


def test_solution_passes():
    assert check_stem_shapes(stem_shapes, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda n: stem_shapes(n, pad_2a=1), "after conv_2a"),
        (lambda n: stem_shapes(n, pad_5a=1), "after mixed_5a"),
        (lambda n: stem_shapes(n, ceil=True), "stem_shapes(150), after conv_1a"),  # rounding up shows at 150
        (lambda n: stem_shapes(n, c3=96), "channels are not"),
        (lambda n: stem_shapes(n, c4=96), "channels are not"),
        (lambda n: stem_shapes(n, c5=192), "channels are not"),
        (lambda n: stem_shapes(n, stride_5a=1), "after mixed_5a"),
        (lambda n: stem_shapes(299), "stem_shapes(75)"),  # the size typed in
        (lambda n: stem_shapes(n)[:5], "should return 6 shapes"),
        (lambda n: [(h, w, c) for c, h, w in stem_shapes(n)], "after conv_1a"),
        (lambda n: [c for c, h, w in stem_shapes(n)], "tuple of ints"),
        (lambda n: [s for _, s in reference_stem_shapes(n)], "library's own implementation"),
        (lambda n: n / 0, "ZeroDivisionError"),
        (3, "expected a function"),
    ],
)
def test_wrong_shapes_fail(student, expected):
    result = check_stem_shapes(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def ir_v1_stem(*, pool=None, c3b=80, pad_2b=1, pad_4a=0, order=False, drop=False, bn=True):
    """The solution; the keywords switch on one mistake each."""
    layers = [
        ConvBNReLU(3, 32, 3, stride=2), ConvBNReLU(32, 32, 3), ConvBNReLU(32, 64, 3, padding=pad_2b),
        pool or nn.MaxPool2d(3, stride=2), ConvBNReLU(64, c3b, 1), ConvBNReLU(c3b, 192, 3, padding=pad_4a, bn=bn),
        ConvBNReLU(192, 256, 3, stride=2),
    ]
    if order:
        layers[3], layers[4] = ConvBNReLU(64, c3b, 1), nn.MaxPool2d(3, stride=2)
    if drop:
        layers.insert(6, nn.Dropout(0.2))
    return nn.Sequential(*layers)


def test_ir_v1_stem_solution_passes():
    assert check_inception_resnet_v1_stem(ir_v1_stem(), verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (ir_v1_stem(pool=nn.AvgPool2d(3, stride=2)), "AvgPool2d"),
        (ir_v1_stem(pool=nn.MaxPool2d(3, stride=2, padding=1)), "padding=1, the reference padding=0"),
        (ir_v1_stem(c3b=64), "parameters"),
        (ir_v1_stem(c3b=81), "parameters"),
        (ir_v1_stem(pad_2b=0), "returns (2, 256, 6, 6), expected (2, 256, 7, 7)"),
        (ir_v1_stem(pad_4a=1), "returns (2, 256, 8, 8)"),
        (ir_v1_stem(order=True), "computes something else"),
        (ir_v1_stem(drop=True), "training mode"),
        (ir_v1_stem(bn=False), "parameters"),
        (nn.Sequential(*list(ir_v1_stem())[:-1]), "returns (2, 192, 15, 15)"),
        (StemV1(), "library's own implementation"),
        (ir_v1_stem, "pass your stem, built"),
        ("stem", "pass your stem, built"),
    ],
)
def test_wrong_ir_v1_stems_fail(student, expected):
    result = check_inception_resnet_v1_stem(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_reference_sizes_are_the_stem_s():
    sizes = [reference_output_size(299, 3, 2), reference_output_size(149, 3), reference_output_size(71, 3, 2)]
    assert sizes == [149, 147, 35]


# Wrong answers that passed when every input had one size, inputs were not looked at after the call
# and the library's layers re-wrapped counted as the student's; right answers with numpy numbers.

TYPED_SHAPES = {n: stem_shapes(n) for n in (299, 75, 150, 224, 331)}


def test_stem_shapes_typed_in_fail_and_numpy_numbers_pass():
    typed = check_stem_shapes(lambda n: TYPED_SHAPES.get(n, stem_shapes(299)), verbose=False)
    assert not typed.passed and "stem_shapes(236)" in " ".join(typed.messages)
    as_numpy = check_stem_shapes(lambda n: [tuple(np.int64(v) for v in shape) for shape in stem_shapes(n)], verbose=False)
    assert as_numpy.passed, as_numpy.messages


class ClampsInPlace(nn.Module):
    """Changes no value of a normal image, but changes its input in place."""

    def forward(self, x):
        return x.clamp_(-1e6, 1e6)


@pytest.mark.parametrize(
    "student, expected",
    [
        (ir_v1_stem(pool=nn.MaxPool2d(3, stride=2, ceil_mode=True)), "(checked on 77x77 images"),
        (nn.Sequential(ClampsInPlace(), *ir_v1_stem()), "changed its input in place (argument 1"),
        (nn.Sequential(*StemV1().children()), "made of layers taken from the library's own StemV1"),
    ],
)
def test_ir_v1_stem_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_inception_resnet_v1_stem(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_ir_v1_stem_handed_in_eval_mode_passes():
    assert check_inception_resnet_v1_stem(ir_v1_stem().eval(), verbose=False).passed
