"""Lesson 5's block exercise: Inception-ResNet-v1's 17x17 block (Inception-ResNet-B, arXiv Fig. 11),
built from ``ConvBNReLU`` branches and :class:`~inception_course.models.layers.ResidualInceptionBlock`.

The checker compares the built block with the library's
:class:`~inception_course.models.inception_resnet.InceptionResNetB` (896 channels, residual scale
0.10): shape, parameters, copied weights and outputs in eval and training mode. A wrong scale, a
wrong branch order or a 7x1 before the 1x7 all change the output.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..models.inception_resnet import RESIDUAL_SCALES, RESNET_B_FILTERS, InceptionResNetB
from ..models.layers import ConvBNReLU, InceptionBlock, ResidualInceptionBlock
from .authorship import refuse_library
from .compare import randomize_batchnorm
from .result import Report, checker
from .toolkit import compare_modules

CHANNELS = 896  # the 17x17 grid's depth in Inception-ResNet-v1 (after Reduction-A)


@checker("Exercise: the Inception-ResNet-B block")
def check_inception_resnet_b(report: Report, student_block: Any) -> None:
    """Check a built Inception-ResNet-v1 B block: 1x1 (128) | 1x1 (128) -> 1x7 (128) -> 7x1 (128),
    concatenated, a linear 1x1 up to 896 channels, scaled by 0.10, added to the input, ReLU."""
    if not isinstance(student_block, nn.Module):
        report.fail(f"pass your block, built (an nn.Module), got {type(student_block).__name__}")
        return
    if refuse_library(report, student_block, allowed=(ConvBNReLU, InceptionBlock, ResidualInceptionBlock),
                      write_instead="build the branches from ConvBNReLU and pass them to ResidualInceptionBlock"):
        return
    reference = InceptionResNetB(CHANNELS, RESNET_B_FILTERS["inception_resnet_v1"], RESIDUAL_SCALES[1])
    randomize_batchnorm(reference)
    with torch.no_grad():
        reference.up.bias.normal_(0, 0.1, generator=torch.Generator().manual_seed(2))
    x = torch.randn(2, CHANNELS, 17, 17, generator=torch.Generator().manual_seed(1))
    compare_modules(report, student_block, reference, x, "Inception-ResNet-B block")
    if not report.failed:
        report.ok(f"the library's InceptionResNetB({CHANNELS}, scale {RESIDUAL_SCALES[1]}) in every respect")
