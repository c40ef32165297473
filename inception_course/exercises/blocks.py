"""Exercises that rebuild a whole Inception module: the student's block must match the library's in
output shape, parameter count and - with the library's weights copied in - output."""

from __future__ import annotations

import torch
from torch import nn

from ..models.googlenet import TABLE_1, InceptionModule
from ..models.inception_v4 import InceptionA
from .compare import compare_block, randomize_batchnorm
from .result import CheckResult, Report


def _check_against(
    exercise: str, student: nn.Module, reference: nn.Module, input_shape: tuple[int, ...], verbose: bool,
    note: str | None = None,
) -> CheckResult:
    randomize_batchnorm(reference)
    x = torch.randn(*input_shape, generator=torch.Generator().manual_seed(1))
    report = Report(exercise)
    if note:
        report.ok(note)
    compare_block(report, student, reference, x)
    return report.finish(verbose)


def check_inception_v1_module(student_block: nn.Module, verbose: bool = True) -> CheckResult:
    """Check a hand-built copy of GoogLeNet's module 3a (28x28x192 -> 28x28x256) against the library's.

    The target is the paper's module: 5x5 kernel, convs with bias and ReLU, no batch norm
    (``ConvBNReLU(..., bn=False)``; batch norm came a year later, lesson 2). A block with batch norm
    after every conv - torchvision's GoogLeNet - is checked against that variant instead and passes
    with a note, so that the exercise works either way.
    """
    with_bn = isinstance(student_block, nn.Module) and any(
        isinstance(m, nn.BatchNorm2d) for m in student_block.modules()
    )
    reference = InceptionModule(192, *TABLE_1["3a"], bn=with_bn)
    note = (
        "your block has batch norm, as torchvision's GoogLeNet; the 2014 paper had none (bn=False builds it so)"
        if with_bn else None
    )
    exercise = "Exercise: GoogLeNet's Inception module 3a"
    return _check_against(exercise, student_block, reference, (2, 192, 28, 28), verbose, note)


def check_inception_a(student_block: nn.Module, verbose: bool = True) -> CheckResult:
    """Check a hand-built Inception-A block (Inception-v4's 35x35 module, 384 -> 384 channels)."""
    reference = InceptionA(384)
    return _check_against("Exercise: the Inception-A block", student_block, reference, (2, 384, 35, 35), verbose)
