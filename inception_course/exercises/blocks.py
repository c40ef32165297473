"""Exercises that rebuild a whole Inception module: the student's block must match the library's in
output shape, parameter count and - with the library's weights copied in - output, in eval and in
training mode. The library's own block classes are refused; ``ConvBNReLU`` and ``InceptionBlock``
are the parts the lessons hand out."""

from __future__ import annotations

import torch
from torch import nn

from ..models.googlenet import TABLE_1, InceptionModule
from ..models.inception_v4 import InceptionA
from .compare import compare_block, randomize_batchnorm
from .result import Report, checker


def _compare(report: Report, student: nn.Module, reference: nn.Module, input_shape: tuple[int, ...]) -> None:
    randomize_batchnorm(reference)
    x = torch.randn(*input_shape, generator=torch.Generator().manual_seed(1))
    compare_block(report, student, reference, x)


@checker("Exercise: GoogLeNet's Inception module 3a")
def check_inception_v1_module(report: Report, student_block: nn.Module) -> None:
    """Check a hand-built copy of GoogLeNet's module 3a (28x28x192 -> 28x28x256) against the library's:
    the paper's 5x5 kernel, with batch norm after every conv (:class:`ConvBNReLU`)."""
    _compare(report, student_block, InceptionModule(192, *TABLE_1["3a"]), (2, 192, 28, 28))


@checker("Exercise: the Inception-A block")
def check_inception_a(report: Report, student_block: nn.Module) -> None:
    """Check a hand-built Inception-A block (Inception-v4's 35x35 module, 384 -> 384 channels)."""
    _compare(report, student_block, InceptionA(384), (2, 384, 35, 35))
