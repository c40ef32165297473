"""Grid-reduction blocks: Inception-v3's efficient grid size reduction (lesson 2) and Reduction-A
with Table 1's ``k, l, m, n`` (lesson 4).

The student hands in a class, so that the checker can build it with several filter sets (a block
with typed-in numbers fails the second set) and compare each with the library's block: output
shape, parameters, copied weights and outputs, in eval and in training mode.
"""

from __future__ import annotations

from typing import Any

import torch

from ..models.inception_v3 import ReductionA as V3Reduction
from ..models.inception_v4 import REDUCTION_A_FILTERS, ReductionA
from ..models.layers import ConvBNReLU, InceptionBlock, scale_channels
from .authorship import refuse_library
from .compare import randomize_batchnorm
from .result import Report, checker
from .toolkit import build, compare_built_block

ALLOWED = (ConvBNReLU, InceptionBlock)
#: Inception-v3's reduction (288 -> 768 channels; on a 17x17 grid to keep it fast), then a small set on 35x35.
GRID_REDUCTION_CASES = (((288, 384, 64, 96), 17), ((40, 24, 8, 16), 35))
REDUCTION_A_WIDTH = 0.125  # the Reduction-A filter counts of Table 1 divided by 8 keep the check fast; the layout is the same
REDUCTION_A_INPUTS = {"inception_v4": (48, 35), "inception_resnet_v1": (32, 17), "inception_resnet_v2": (40, 19)}


def _input(channels: int, grid: int) -> torch.Tensor:
    return torch.randn(2, channels, grid, grid, generator=torch.Generator().manual_seed(1))


@checker("Exercise: Inception-v3's efficient grid size reduction")
def check_grid_reduction(report: Report, student_class: Any) -> None:
    """Check ``student_class(in_channels, ch3x3, dbl3x3red, dbl3x3)``: 3x3/2 conv | 1x1 -> 3x3 -> 3x3/2
    | 3x3/2 max pool, concatenated (Inception-v3's 35x35 -> 17x17 block)."""
    if refuse_library(report, student_class, allowed=ALLOWED, write_instead="build it from ConvBNReLU and InceptionBlock"):
        return
    for args, grid in GRID_REDUCTION_CASES:
        student = build(report, student_class, args, "grid reduction")
        if student is None:
            return
        reference = V3Reduction(*args)
        randomize_batchnorm(reference)
        compare_built_block(report, student, reference, _input(args[0], grid), allowed=ALLOWED)
        if report.failed:
            report.messages[-1] = f"with {_named(args, ('in_channels', 'ch3x3', 'dbl3x3red', 'dbl3x3'))}: " + report.messages[-1]
            return
        report.ok(f"{_named(args, ('in_channels', 'ch3x3', 'dbl3x3red', 'dbl3x3'))} on a {grid}x{grid} grid: as the library's block")


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

