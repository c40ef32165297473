"""Exercises that rebuild a whole Inception module: the student's block must match the library's in
output shape, parameter count and - with the library's weights copied in - output, in eval and in
training mode. The library's own block classes are refused; ``ConvBNReLU`` and ``InceptionBlock``
are the parts the lessons hand out."""

from __future__ import annotations

import torch
from torch import nn

from ..models.googlenet import TABLE_1, InceptionModule
from ..models.inception_v4 import InceptionA
from .compare import compare_block, randomize_batchnorm, run, shape_of
from .result import Report, checker


def _compare(report: Report, student: nn.Module, reference: nn.Module, input_shape: tuple[int, ...]) -> None:
    """Compare on ``input_shape``, then - weights already copied - on one smaller image, so that
    nothing in the block may depend on the batch or grid size it was first tried on."""
    randomize_batchnorm(reference)
    generator = torch.Generator().manual_seed(1)
    compare_block(report, student, reference, torch.randn(*input_shape, generator=generator))
    if report.failed:
        return
    small = torch.randn(1, input_shape[1], 9, 9, generator=generator)
    student.eval()
    reference.eval()
    output, error = run(student, small)
    expected, _ = run(reference, small)
    if error is not None or not isinstance(output, torch.Tensor) or output.shape != expected.shape \
            or not torch.allclose(output, expected, rtol=1e-4, atol=1e-5):
        report.fail(
            f"on one {shape_of(small)} image your block " + (f"raised {error}" if error else f"returned {shape_of(output)}"
            f" where the reference's output is {shape_of(expected)}") + ": nothing in it may depend on the"
            f" batch size or grid size {tuple(input_shape)} it was first tried on"
        )
        return
    report.ok(f"the same output on one {shape_of(small)} image")


@checker("Exercise: GoogLeNet's Inception module 3a")
def check_inception_v1_module(report: Report, student_block: nn.Module) -> None:
    """Check a hand-built copy of GoogLeNet's module 3a (28x28x192 -> 28x28x256) against the library's.

    The target is the paper's module: 5x5 kernel, convs with bias and ReLU, no batch norm
    (``ConvBNReLU(..., bn=False)``; batch norm came a year later, lesson 2). A block with batch norm
    after every conv - torchvision's GoogLeNet - is checked against that variant instead and passes
    with a note, so that the exercise works either way.
    """
    with_bn = isinstance(student_block, nn.Module) and any(isinstance(m, nn.BatchNorm2d) for m in student_block.modules())
    if with_bn:
        report.ok("your block has batch norm, as torchvision's GoogLeNet; the 2014 paper had none (bn=False builds it so)")
    _compare(report, student_block, InceptionModule(192, *TABLE_1["3a"], bn=with_bn), (2, 192, 28, 28))


@checker("Exercise: the Inception-A block")
def check_inception_a(report: Report, student_block: nn.Module) -> None:
    """Check a hand-built Inception-A block (Inception-v4's 35x35 module, 384 -> 384 channels)."""
    _compare(report, student_block, InceptionA(384), (2, 384, 35, 35))
