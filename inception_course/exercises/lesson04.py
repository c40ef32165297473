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

#: network -> (in_channels, grid, batch size): odd and even grids (an even one shows a 3x3/2 pool or
#: conv that rounds up or pads), batch sizes 1 to 3.
REDUCTION_A_INPUTS = {"inception_v4": (48, 35, 2), "inception_resnet_v1": (32, 18, 1), "inception_resnet_v2": (40, 20, 3)}


def _reduction_a_cases() -> list[tuple[str, tuple[int, ...], int, int]]:
    """(name, (in_channels, k, l, m, n), grid, batch): Table 1's three filter sets (scaled down), then
    one made up with a seeded generator, so that numbers looked up per network do not pass."""
    cases = []
    for network, filters in REDUCTION_A_FILTERS.items():
        in_channels, grid, batch = REDUCTION_A_INPUTS[network]
        args = (in_channels, *(scale_channels(f, REDUCTION_A_WIDTH) for f in filters))
        cases.append((f"{network}'s numbers / 8", args, grid, batch))
    generator = torch.Generator().manual_seed(4)
    made_up = tuple(int(v) for v in torch.randint(5, 40, (5,), generator=generator))
    cases.append(("made-up numbers", made_up, 16, 2))
    return cases


def _input(channels: int, grid: int, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, channels, grid, grid, generator=torch.Generator().manual_seed(1))


def _named(values: tuple[int, ...], names: tuple[str, ...]) -> str:
    return ", ".join(f"{n}={v}" for n, v in zip(names, values))


@checker("Exercise: Reduction-A with k, l, m, n")
def check_reduction_a(report: Report, student_class: Any) -> None:
    """Check ``student_class(in_channels, k, l, m, n)`` (Fig. 7: 3x3/2 conv with n filters | 1x1 (k)
    -> 3x3 (l) -> 3x3/2 (m) | 3x3/2 max pool) with the filter sets of Table 1 (scaled down) and a
    made-up one, on odd and even grids."""
    if refuse_library(report, student_class, allowed=ALLOWED, write_instead="build it from ConvBNReLU and InceptionBlock"):
        return
    for name, args, grid, batch in _reduction_a_cases():
        student = build(report, student_class, args, "Reduction-A block")
        if student is None:
            return
        reference = ReductionA(*args)
        randomize_batchnorm(reference)
        case = f"{name} ({_named(args, ('in_channels', 'k', 'l', 'm', 'n'))})"
        compare_built_block(report, student, reference, _input(args[0], grid, batch), allowed=ALLOWED)
        if report.failed:
            report.messages[-1] = f"with {case}: " + report.messages[-1]
            return
        out = (grid - 3) // 2 + 1
        report.ok(f"{case}, {batch} image(s) of {grid}x{grid} -> {out}x{out}: as the library's block")


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
