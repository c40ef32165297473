"""check_stem_shapes and check_inception_resnet_v1_stem: the solution passes, wrong answers fail
with a message that names the stage and the mistake, and nothing raises."""

import pytest
from torch import nn

from inception_course.exercises import check_inception_resnet_v1_stem, check_stem_shapes
from inception_course.exercises.stems import reference_stem_shapes
from inception_course.models.inception_resnet import StemV1
from inception_course.models.layers import ConvBNReLU


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
