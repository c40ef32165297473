"""Lesson 3's checkers (the Inception-v4 stem), in the lesson's order.

* ``check_output_size``: ``output_size(size, kernel, stride, padding)``, the arithmetic behind every
  shape in the paper's figures (299 -> 149 -> 147 -> 73 -> 71 -> 35), on the stem's layers and on
  paddings, even kernels and strides where a shortcut rule shows;
* ``check_stem_shapes``: ``stem_shapes(image_size)`` -> the ``(C, H, W)`` after each of the v4 stem's
  six stages, measured on the library's :class:`~inception_course.models.inception_v4.Stem` on
  PyTorch's ``meta`` device, at 299 px and at sizes where rounding matters;
* ``check_inception_resnet_v1_stem``: the student's Inception-ResNet-v1 stem, built, against
  :class:`~inception_course.models.inception_resnet.StemV1`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..models.inception_resnet import StemV1
from ..models.inception_v4 import Stem
from ..models.layers import ConvBNReLU, InceptionBlock
from .checking.authorship import refuse_library
from .checking.compare import as_int, compare_modules, randomize_batchnorm, run
from .checking.result import Report, checker

# (input size, kernel, stride, padding)
OUTPUT_SIZE_CASES = [
    (299, 3, 2, 0), (149, 3, 1, 0), (147, 3, 1, 1), (147, 3, 2, 0), (73, 1, 1, 0), (73, 3, 1, 0),
    (71, 3, 2, 0), (35, 3, 1, 1), (35, 3, 2, 0), (17, 7, 1, 3), (17, 3, 2, 0), (224, 7, 2, 3),
    (28, 5, 1, 2), (8, 3, 2, 0), (32, 3, 2, 1), (10, 2, 2, 0),
    # padding other than kernel // 2, even kernels, stride > kernel, odd leftovers
    (10, 3, 1, 2), (15, 5, 2, 1), (8, 1, 1, 1), (20, 7, 3, 1), (9, 3, 2, 2), (14, 4, 2, 1),
    (5, 5, 1, 0), (12, 1, 2, 0), (7, 3, 3, 1), (33, 5, 4, 3),
]


def _drawn_cases(count: int = 30, seed: int = 0) -> list[tuple[int, int, int, int]]:
    """Seeded random cases, so that answers typed in for the listed ones do not pass."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    while len(cases) < count:
        size, kernel, stride, padding = (int(torch.randint(low, high, (1,), generator=generator))
                                         for low, high in ((4, 300), (1, 8), (1, 5), (0, 4)))
        if size + 2 * padding >= kernel:
            cases.append((size, kernel, stride, padding))
    return cases


OUTPUT_SIZE_CASES += _drawn_cases()


def reference_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """What PyTorch itself produces for a ``size`` x ``size`` input (measured, not derived)."""
    probe = torch.zeros(1, 1, size, size)
    weight = torch.zeros(1, 1, kernel, kernel)
    return F.conv2d(probe, weight, stride=stride, padding=padding).shape[-1]


SAME_PADDING = (
    "that is the 'same padding' shortcut ceil(size / stride), which holds only for the padding"
    " TensorFlow's SAME would choose; with an explicit padding use the general formula"
)

# Each slip computed, with the words that fix it (checked in this order).
SLIPS: list[tuple[Callable[[int, int, int, int], float], str]] = [
    (lambda n, k, s, p: (n + p - k) // s + 1,
     "the padding is counted once; it is added on both sides, so the input grows by 2 * padding"),
    (lambda n, k, s, p: (n + 2 * (k // 2) - k) // s + 1,
     "you used kernel // 2 as the padding; use the padding argument"),
    (lambda n, k, s, p: math.ceil(n / s) if p > 0 else (n - k) // s + 1, SAME_PADDING),
    (lambda n, k, s, p: math.ceil(n / s), SAME_PADDING),
    (lambda n, k, s, p: (n - k) // s + 1, "the padding is missing: it adds 2 * padding to the input size"),
    (lambda n, k, s, p: (n + 2 * p - k) // s, "one too few: the first window position counts too (the '+ 1')"),
    (lambda n, k, s, p: (n + 2 * p - k) / s, "that is the number of steps, not of positions: add 1, and round down"),
    (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
     "rounded up; a window that would stick out past the border is dropped, so round down"),
    (lambda n, k, s, p: n + 2 * p - k + 1, "the stride is missing: the window moves `stride` pixels at a time, so divide by it"),
]


def _diagnose(answers: list[object], failing: int) -> str:
    """The slip that explains the student's answers: the one matching every case, else the failing one."""
    def matches(slip: Callable[..., float], index: int) -> bool:
        answer = answers[index]
        return isinstance(answer, numbers.Real) and answer == slip(*OUTPUT_SIZE_CASES[index])

    numeric = [i for i, answer in enumerate(answers) if isinstance(answer, numbers.Real)]
    for slip, words in SLIPS:
        if all(matches(slip, i) for i in numeric):
            return words
    for slip, words in SLIPS:
        if matches(slip, failing):
            return words
    return "the formula is floor((size + 2 * padding - kernel) / stride) + 1"


@checker("Exercise: output size of a conv or pool")
def check_output_size(report: Report, student_fn: Callable[..., int]) -> None:
    """Check ``student_fn(size, kernel, stride, padding) -> int`` against PyTorch's own shapes."""
    if not callable(student_fn):
        report.fail(f"expected a function output_size(size, kernel, stride, padding), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course", "torch.nn"),
                      write_instead="compute it from the formula, without running a layer"):
        return
    calls = [run(student_fn, *case) for case in OUTPUT_SIZE_CASES]
    answers = [answer if error is None else None for answer, error in calls]
    for index, ((size, kernel, stride, padding), (answer, error)) in enumerate(zip(OUTPUT_SIZE_CASES, calls)):
        expected = reference_output_size(size, kernel, stride, padding)
        case = f"output_size({size}, kernel={kernel}, stride={stride}, padding={padding})"
        if error is not None:
            report.fail(f"{case} raised {error}")
        elif isinstance(answer, bool) or not isinstance(answer, numbers.Real):
            report.fail(f"{case} returned {answer!r}; return a whole number (an int)")
        elif answer != expected:
            report.fail(f"{case} gave {answer}, expected {expected}: {_diagnose(answers, index)}")
        elif not isinstance(answer, numbers.Integral):
            report.fail(f"{case} gave {answer!r}, a float: use // (floor division) to get an int")
        else:
            continue
        return  # one clear message is more useful than the same slip many times
    report.ok(f"all {len(OUTPUT_SIZE_CASES)} cases match PyTorch, from the stem's 299 -> 149 to paddings other than kernel // 2")


def _drawn_sizes(count: int = 3, seed: int = 0) -> tuple[int, ...]:
    """Image sizes drawn with a seeded generator (odd and even), so that shapes typed in for the listed ones fail."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(int(v) + index % 2 for index, v in enumerate(torch.randint(38, 200, (count,), generator=generator) * 2))


STEM_SIZES = (299, 75, 150, 224, 331) + _drawn_sizes()

ALLOWED = (ConvBNReLU, InceptionBlock)


def reference_stem_shapes(image_size: int) -> list[tuple[str, tuple[int, int, int]]]:
    """``(stage name, (C, H, W))`` after each stage of the library's stem, measured on the meta device."""
    stem = Stem().to("meta")
    x = torch.empty(1, 3, image_size, image_size, device="meta")
    shapes = []
    for name, stage in stem.named_children():
        x = stage(x)
        shapes.append((name, tuple(x.shape[1:])))
    return shapes


def _as_shape(value: Any) -> tuple[int, ...] | None:
    """A shape as a tuple of ints; its numbers may be Python's, numpy's or one-element tensors."""
    if not isinstance(value, (tuple, list, torch.Size)):
        return None
    numbers_ = [as_int(v) for v in value]
    return None if None in numbers_ else tuple(numbers_)


def _advice(name: str, got: tuple[int, ...], want: tuple[int, int, int]) -> str:
    if len(got) != 3:
        return "give each shape as (channels, height, width)"
    if got[1:] == want[1:]:
        return (
            "the grid is right, the channels are not: a filter concatenation adds its branches' channels"
            " (a pool passes its input's channels through)"
        )
    if got[0] == want[0] and got[1:] == (want[1] + 1, want[2] + 1):
        return "one pixel too many: 'V' layers add no padding, and the division by the stride rounds down"
    return "out = (size + 2 * padding - kernel) // stride + 1 for every layer, padding 0 where the figure says V"


@checker("Exercise: shapes through the Inception-v4 stem")
def check_stem_shapes(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(image_size)`` -> the six ``(C, H, W)`` shapes after each stage of the v4 stem."""
    if not callable(student_fn):
        report.fail(f"expected a function stem_shapes(image_size), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",),
                      write_instead="work the sizes out with your output_size function"):
        return
    for size in STEM_SIZES:
        expected = reference_stem_shapes(size)
        answer, error = run(student_fn, size)
        if error is not None:
            report.fail(f"stem_shapes({size}) raised {error}")
            return
        if not isinstance(answer, (list, tuple)) or len(answer) != len(expected):
            names = ", ".join(name for name, _ in expected)
            report.fail(f"stem_shapes({size}) should return {len(expected)} shapes ({names}); got {answer!r}")
            return
        for (name, want), got in zip(expected, answer):
            shape = _as_shape(got)
            if shape != want:
                words = _advice(name, shape, want) if shape is not None else "give each shape as a tuple of ints"
                report.fail(f"stem_shapes({size}), after {name}: yours {got!r}, expected {want}: {words}")
                return
        report.ok(f"{size} px: " + " -> ".join(f"{c}x{h}x{w}" for _, (c, h, w) in expected))


#: (batch size, image size): 75 px is the smallest the network accepts; at 77 px the 3x3/2 max pool
#: meets an even grid (36x36), where one that rounds up (ceil_mode) or pads shows; 80 px, three images.
STEM_V1_INPUTS = ((2, 75), (1, 77), (3, 80))


@checker("Exercise: the Inception-ResNet-v1 stem, checked")
def check_inception_resnet_v1_stem(report: Report, student_stem: Any) -> None:
    """Check a built Inception-ResNet-v1 stem (arXiv Fig. 14) against the library's ``StemV1`` on
    :data:`STEM_V1_INPUTS`, in eval and in training mode."""
    if not isinstance(student_stem, nn.Module) or isinstance(student_stem, type):
        report.fail(f"pass your stem, built (an nn.Module such as nn.Sequential(...)), got {type(student_stem).__name__}")
        return
    if refuse_library(report, student_stem, allowed=ALLOWED, write_instead="build it from ConvBNReLU and nn.MaxPool2d"):
        return
    reference = StemV1()
    randomize_batchnorm(reference)
    generator = torch.Generator().manual_seed(0)
    for batch, size in STEM_V1_INPUTS:
        x = torch.randn(batch, 3, size, size, generator=generator) * 0.5
        compare_modules(report, student_stem, reference, x, "stem")
        if report.failed:
            report.messages[-1] = (
                f"(checked on {size}x{size} images, small to be quick: there the stem ends at"
                f" {reference_v1_grid(size)}x{reference_v1_grid(size)}x256 where a 299-px image gives 35x35x256) "
                + report.messages[-1]
            )
            return
    report.ok("the same stem as the library's StemV1, on images of " + ", ".join(f"{s}x{s}" for _, s in STEM_V1_INPUTS) + " px")


def reference_v1_grid(size: int) -> int:
    """The grid at the end of the Inception-ResNet-v1 stem for ``size``-px images."""
    with torch.device("meta"):
        return StemV1()(torch.empty(1, 3, size, size)).shape[-1]
