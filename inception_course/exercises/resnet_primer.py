"""Lesson 5's primer exercise: ResNet's basic residual block with its two shortcuts.

The student passes a class (or function) ``(in_channels, out_channels, stride)`` -> the block. The
checker builds it three ways - same shape (identity shortcut), more channels and a halved grid,
more channels only (both a projection) - and compares each with
:class:`~inception_course.models.resnet.BasicBlock`: output shape, parameters, copied weights,
outputs in eval and training mode. A projection where the identity belongs, a missing shortcut, or
a ReLU before the sum all show.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..models.layers import ConvBNReLU
from ..models.resnet import BasicBlock
from .authorship import refuse_library
from .compare import randomize_batchnorm
from .result import Report, checker
from .toolkit import build, compare_modules

CASES = ((16, 16, 1), (16, 32, 2), (8, 24, 1))  # (in_channels, out_channels, stride): identity, then two projections


def _known_slip(block: nn.Module, reference: BasicBlock, x: torch.Tensor) -> str | None:
    """Name the slip when the block (holding the reference's weights) computes one of the usual
    wrong formulas; ``None`` otherwise."""
    block.eval()
    reference.eval()
    with torch.no_grad():
        try:
            output = block(x)
        except Exception:  # noqa: BLE001 - compare_modules has reported it
            return None
        residual = reference.bn2(reference.conv2(reference.conv1(x)))
        shortcut = reference.shortcut(x)
        slips = {
            "the shortcut is missing: add the block's input (or its projection) to F(x)": torch.relu(residual),
            "the ReLU comes after the sum only: F(x) ends with batch norm, no ReLU, before the addition":
                torch.relu(torch.relu(residual) + shortcut),
            "the final ReLU is missing: y = relu(F(x) + shortcut(x))": residual + shortcut,
        }
    for message, wrong in slips.items():
        if output.shape == wrong.shape and torch.allclose(output, wrong, atol=1e-5):
            return message
    return None


@checker("Exercise: the ResNet residual block")
def check_residual_block(report: Report, student: Any) -> None:
    """Check ``student(in_channels, out_channels, stride)``: ``relu(F(x) + shortcut(x))`` with
    ``F`` = 3x3 conv-BN-ReLU (stride), 3x3 conv-BN, and an identity shortcut when the shape is
    kept, else a strided 1x1 conv with BN."""
    for in_channels, out_channels, stride in CASES:
        block = build(report, student, (in_channels, out_channels, stride), "residual block")
        if block is None:
            return
        if refuse_library(report, block, allowed=(ConvBNReLU, nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Identity, nn.Sequential),
                          write_instead="build it from nn.Conv2d, nn.BatchNorm2d and nn.ReLU (or ConvBNReLU)"):
            return
        reference = BasicBlock(in_channels, out_channels, stride)
        extra = sum(p.numel() for p in block.parameters()) - sum(p.numel() for p in reference.parameters())
        what = f"block ({in_channels} -> {out_channels} channels, stride {stride})"
        if (in_channels, stride) == (out_channels, 1) and extra > 0:
            report.fail(f"your {what} has {extra:,} parameters too many: when the shape does not change the"
                        " shortcut is the identity (no parameters)")
            return
        if (in_channels, stride) != (out_channels, 1) and extra < 0:
            report.fail(f"your {what} has {-extra:,} parameters too few: when the channels or the grid change,"
                        " the shortcut is a projection (a 1x1 conv with that stride, no bias, then batch norm)")
            return
        randomize_batchnorm(reference)
        x = torch.randn(2, in_channels, 12, 12, generator=torch.Generator().manual_seed(stride + out_channels))
        compare_modules(report, block, reference, x, what)
        if report.failed:
            slip = _known_slip(block, reference, x)
            if slip:
                report.fail(slip)
            return
        report.ok(f"the {what} computes what ResNet's does, in eval and training mode")
