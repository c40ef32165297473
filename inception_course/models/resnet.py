"""ResNet's basic residual block (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016),
the idea the Inception-ResNets build on. Lesson 5's primer teaches it before the Inception-ResNet
blocks, and its exercise is checked against :class:`BasicBlock`.

``relu(F(x) + shortcut(x))`` with ``F`` = 3x3 conv-BN-ReLU, 3x3 conv-BN. The shortcut is the
identity when the block keeps the shape (no parameter at all), and a *projection* - a strided 1x1
conv with batch norm - when it changes the number of channels or the grid (ResNet's option B).
Because ``d(F(x) + x)/dx = dF/dx + 1``, the gradient reaches the block's input through the sum
undiminished, however small ``dF/dx`` is: the reason deep residual networks train.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import BN_EPS, ConvBNReLU


class BasicBlock(nn.Module):
    """ResNet's basic block: ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = ConvBNReLU(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels, eps=BN_EPS)
        if stride == 1 and in_channels == out_channels:
            self.shortcut: nn.Module = nn.Identity()  # same shape: add the input itself
        else:  # a projection: match the channels and the grid of the residual
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels, eps=BN_EPS),
            )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.bn2(self.conv2(self.conv1(x)))
        return self.act(residual + self.shortcut(x))
