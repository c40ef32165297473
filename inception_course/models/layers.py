"""The few layers every Inception network is built from.

* :class:`ConvBNReLU` - the conv -> batch norm -> ReLU unit used everywhere since BN-Inception
  (BN epsilon 1e-3 as in the TF reference code, which is what published weights were trained with).
* :class:`InceptionBlock` - parallel branches whose outputs are concatenated along channels
  ("Filter concat" in the paper's figures).
* :class:`ResidualInceptionBlock` - the Inception-ResNet block: branches -> concat -> linear 1x1
  "filter expansion" conv -> scaled by ``scale`` -> added to the input -> ReLU. There is deliberately
  no batch norm after the addition (the paper drops it to save memory).

Blocks keep their branches in ``self.branches`` (an ``nn.ModuleList``), each branch a single layer
or an ``nn.Sequential``. ``describe`` and ``draw`` rely on that layout to read a block's structure.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import torch
from torch import nn

BN_EPS = 1e-3

IntPair = int | tuple[int, int]


class ConvBNReLU(nn.Module):
    """Conv2d (no bias) -> BatchNorm2d(eps=1e-3) -> ReLU.

    ``bn=False`` gives a plain conv with bias followed by ReLU (the original GoogLeNet had no BN).
    Padding is explicit: 0 is the paper's 'V' (valid) padding, ``k // 2`` keeps the grid size.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        bn: bool = True,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=not bn)
        self.bn = nn.BatchNorm2d(out_channels, eps=BN_EPS) if bn else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def scale_channels(channels: int, width: float) -> int:
    """Filter count after the width multiplier ``width`` (at least 1, rounded to nearest).

    ``width=1.0`` returns ``channels`` unchanged, so the full-size networks are exact.
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return max(1, int(math.floor(channels * width + 0.5)))


class InceptionBlock(nn.Module):
    """Run every branch on the same input and concatenate the results along channels."""

    merge = "concat"

    def __init__(self, branches: Iterable[nn.Module]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class ResidualInceptionBlock(nn.Module):
    """``relu(x + scale * up(concat(branches(x))))`` - an Inception-ResNet block.

    ``up`` is the paper's 1x1 "filter expansion" conv: linear (bias, no BN, no ReLU) so that the
    branch output matches the shortcut's depth. ``scale`` is the residual scaling of the paper's
    section 3.3 (between 0.1 and 0.3 keeps wide networks from dying). ``activate=False`` drops the
    final ReLU (the reference IR-v2 does so in its very last block).
    """

    merge = "scaled sum"

    def __init__(
        self,
        branches: Sequence[nn.Module],
        concat_channels: int,
        out_channels: int,
        scale: float,
        activate: bool = True,
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.up = nn.Conv2d(concat_channels, out_channels, kernel_size=1, bias=True)
        self.scale = scale
        self.act = nn.ReLU() if activate else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.up(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.act(x + self.scale * residual)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"
