"""Lesson 4's checkers (Inception-v4), in the lesson's order.

* ``check_inception_a``: the student's Inception-A block, built, against the library's
  :class:`~inception_course.models.inception_v4.InceptionA`;
* ``check_reduction_a``: a class ``(in_channels, k, l, m, n)`` built with Table 1's filter sets of
  the three networks and compared with :class:`~inception_course.models.inception_v4.ReductionA`;
* ``check_inception_v4``: ``build(num_classes, width, depths)`` that assembles Inception-v4 from the
  library's stem and blocks (the comparison is in :mod:`.checking.networks`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..models import inception_v4 as v4
from ..models.base import InceptionNet
from ..models.factory import create_model
from ..models.inception_v4 import REDUCTION_A_FILTERS, InceptionA, ReductionA
from ..models.layers import ConvBNReLU, InceptionBlock, scale_channels
from .checking.authorship import refuse_library
from .checking.compare import (
    build,
    compare_block_at_sizes,
    compare_built_block,
    randomize_batchnorm,
)
from .checking.networks import compare_network
from .checking.result import Report, checker


@checker("Exercise: the Inception-A block")
def check_inception_a(report: Report, student_block: nn.Module) -> None:
    """Check a hand-built Inception-A block (Inception-v4's 35x35 module, 384 -> 384 channels)."""
    compare_block_at_sizes(report, student_block, InceptionA(384), (2, 384, 35, 35))


ALLOWED = (ConvBNReLU, InceptionBlock)

REDUCTION_A_WIDTH = 0.125  # the Reduction-A filter counts of Table 1 divided by 8 keep the check fast; the layout is the same

REDUCTION_A_INPUTS = {"inception_v4": (48, 35), "inception_resnet_v1": (32, 17), "inception_resnet_v2": (40, 19)}


def _input(channels: int, grid: int) -> torch.Tensor:
    return torch.randn(2, channels, grid, grid, generator=torch.Generator().manual_seed(1))


def _named(values: tuple[int, ...], names: tuple[str, ...]) -> str:
    return ", ".join(f"{n}={v}" for n, v in zip(names, values))


@checker("Exercise: Reduction-A with k, l, m, n")
def check_reduction_a(report: Report, student_class: Any) -> None:
    """Check ``student_class(in_channels, k, l, m, n)`` (Fig. 7: 3x3/2 conv with n filters | 1x1 (k)
    -> 3x3 (l) -> 3x3/2 (m) | 3x3/2 max pool) with the filter sets of Table 1 (scaled down)."""
    if refuse_library(report, student_class, allowed=ALLOWED, write_instead="build it from ConvBNReLU and InceptionBlock"):
        return
    for network, filters in REDUCTION_A_FILTERS.items():
        k, l, m, n = (scale_channels(f, REDUCTION_A_WIDTH) for f in filters)  # noqa: E741
        in_channels, grid = REDUCTION_A_INPUTS[network]
        args = (in_channels, k, l, m, n)
        student = build(report, student_class, args, "Reduction-A block")
        if student is None:
            return
        reference = ReductionA(*args)
        randomize_batchnorm(reference)
        case = f"{network}'s numbers / 8 ({_named(args, ('in_channels', 'k', 'l', 'm', 'n'))})"
        compare_built_block(report, student, reference, _input(in_channels, grid), allowed=ALLOWED)
        if report.failed:
            report.messages[-1] = f"with {case}: " + report.messages[-1]
            return
        report.ok(f"{case}, {grid}x{grid} -> {(grid - 3) // 2 + 1}x{(grid - 3) // 2 + 1}: as the library's block")


V4_ALLOWED = (
    v4.Stem, v4.InceptionA, v4.InceptionB, v4.InceptionC, v4.ReductionA, v4.ReductionB, v4.REDUCTION_A_FILTERS,
    v4.DEPTHS_V4, InceptionNet, ConvBNReLU, InceptionBlock, scale_channels,
)


def _v4(num_classes: int, width: float, depths: tuple[int, int, int]) -> nn.Module:
    return create_model("inception_v4", num_classes=num_classes, width=width, depths=depths)


@checker("Exercise: Inception-v4 from its stem and blocks")
def check_inception_v4(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(num_classes, width, depths)`` -> Inception-v4 assembled from the library's
    ``Stem``, ``InceptionA/B/C``, ``ReductionA`` (Table 1's k, l, m, n) and ``ReductionB``."""
    compare_network(report, student_fn, _v4, V4_ALLOWED, "Inception-v4")
