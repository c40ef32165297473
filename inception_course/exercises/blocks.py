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
    exercise: str, student: nn.Module, reference: nn.Module, input_shape: tuple[int, ...], verbose: bool
) -> CheckResult:
    randomize_batchnorm(reference)
    x = torch.randn(*input_shape, generator=torch.Generator().manual_seed(1))
    report = Report(exercise)
    compare_block(report, student, reference, x)
    return report.finish(verbose)


def check_inception_v1_module(student_block: nn.Module, verbose: bool = True) -> CheckResult:
    """Check a hand-built copy of GoogLeNet's module 3a (28x28x192 -> 28x28x256) against the library's:
    the paper's 5x5 kernel, with batch norm after every conv (:class:`ConvBNReLU`)."""
    reference = InceptionModule(192, *TABLE_1["3a"])
    exercise = "Exercise: GoogLeNet's Inception module 3a"
    return _check_against(exercise, student_block, reference, (2, 192, 28, 28), verbose)


def check_inception_a(student_block: nn.Module, verbose: bool = True) -> CheckResult:
    """Check a hand-built Inception-A block (Inception-v4's 35x35 module, 384 -> 384 channels)."""
    reference = InceptionA(384)
    return _check_against("Exercise: the Inception-A block", student_block, reference, (2, 384, 35, 35), verbose)
