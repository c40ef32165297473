"""Lesson 3's further exercises: the shapes through the Inception-v4 stem for any image size, and
the Inception-ResNet-v1 stem built by hand.

* ``stem_shapes(image_size)`` returns the ``(C, H, W)`` after each of the six stages of the v4 stem
  (conv_1a, conv_2a, conv_2b, mixed_3a, mixed_4a, mixed_5a); the checker measures the library's
  :class:`~inception_course.models.inception_v4.Stem` on PyTorch's ``meta`` device (shapes without
  arithmetic), at 299 px and at sizes where rounding matters.
* The student's Inception-ResNet-v1 stem (a built module) is compared with
  :class:`~inception_course.models.inception_resnet.StemV1`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..models.inception_resnet import StemV1
from ..models.inception_v4 import Stem
from ..models.layers import ConvBNReLU, InceptionBlock
from .authorship import refuse_library
from .compare import randomize_batchnorm, run
from .result import Report, checker
from .toolkit import compare_modules

STEM_SIZES = (299, 75, 150, 224, 331)
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
    if isinstance(value, torch.Size) or (isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value)):
        return tuple(value)
    return None


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


@checker("Exercise: the Inception-ResNet-v1 stem, checked")
def check_inception_resnet_v1_stem(report: Report, student_stem: Any) -> None:
    """Check a built Inception-ResNet-v1 stem (arXiv Fig. 14) against the library's ``StemV1``."""
    if not isinstance(student_stem, nn.Module) or isinstance(student_stem, type):
        report.fail(f"pass your stem, built (an nn.Module such as nn.Sequential(...)), got {type(student_stem).__name__}")
        return
    if refuse_library(report, student_stem, allowed=ALLOWED, write_instead="build it from ConvBNReLU and nn.MaxPool2d"):
        return
    reference = StemV1()
    randomize_batchnorm(reference)
    x = torch.randn(2, 3, 75, 75, generator=torch.Generator().manual_seed(0)) * 0.5
    compare_modules(report, student_stem, reference, x, "stem")
    if report.failed:
        report.messages[-1] = (
            "(checked on 75x75 images, the smallest the network accepts, to be quick: there the stem ends at"
            " 7x7x256 where a 299-px image gives 35x35x256) " + report.messages[-1]
        )
    else:
        report.ok("the same stem as the library's StemV1")
