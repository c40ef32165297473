"""GoogLeNet, the first Inception network (Szegedy et al., "Going deeper with convolutions", 2014).

Nine Inception modules (the paper's Table 1 rows 3a ... 5b) on top of a plain conv/pool stem, with
two auxiliary classifiers on 4a and 4d that only run in training (their losses, weighted 0.3, push
gradient into the middle of this then very deep network).

Two configurations:

* ``config="reference"`` (default) is torchvision's ``googlenet``, the network its published weights
  fit: batch norm after every conv (which the 2014 network did not have), no local response
  normalisation, and a 3x3 conv in the branch the paper gives a 5x5 - a long-known slip in the
  original port that torchvision keeps because the weights were trained that way. Its auxiliary heads
  pool adaptively to 4x4, so they run at any input size.
* ``config="paper"`` is the network of the paper: no batch norm (convs with bias and ReLU), 5x5
  convs, local response normalisation after the first pool and after the second conv, and auxiliary
  heads exactly as the paper's section 5 lists them (5x5/3 average pool, 1x1 conv with 128 filters,
  fc 1024, dropout 0.7); those fit the 14x14 grid of a 224-px image only. Its pool4 is Table 1's
  3x3/2 max pool; torchvision's is 2x2/2 (the same 7x7 output, other values).

Both build the first layer as a dense 7x7 conv, as the paper's text and figure show, although the
paper's Table 1 costs it as 2.7K parameters and 34M multiply-adds - the numbers of a
depthwise-separable 7x7 (9.4K and 118M dense); :mod:`inception_course.models.differences` records
this and the other places where the two configurations or the paper disagree.

Pools round up (``ceil_mode=True``) as in the original Caffe model, which both configurations share.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .base import InceptionNetWithAux, is_tracing
from .layers import ConvBNReLU, InceptionBlock, scale_channels
from .registry import register_model


class InceptionRow(NamedTuple):
    """One row of the paper's Table 1: the filter counts of one Inception module."""

    ch1x1: int
    ch3x3red: int
    ch3x3: int
    ch5x5red: int
    ch5x5: int
    pool_proj: int


# GoogLeNet paper, Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
TABLE_1: dict[str, InceptionRow] = {
    "3a": InceptionRow(64, 96, 128, 16, 32, 32),
    "3b": InceptionRow(128, 128, 192, 32, 96, 64),
    "4a": InceptionRow(192, 96, 208, 16, 48, 64),
    "4b": InceptionRow(160, 112, 224, 24, 64, 64),
    "4c": InceptionRow(128, 128, 256, 24, 64, 64),
    "4d": InceptionRow(112, 144, 288, 32, 64, 64),
    "4e": InceptionRow(256, 160, 320, 32, 128, 128),
    "5a": InceptionRow(256, 160, 320, 32, 128, 128),
    "5b": InceptionRow(384, 192, 384, 48, 128, 128),
}

CONFIGS = ("reference", "paper")


class InceptionModule(InceptionBlock):
    """The GoogLeNet Inception module (paper Fig. 2b): 1x1 | 1x1->3x3 | 1x1->5x5 | 3x3 max pool->1x1.

    The 1x1 "reduce" convs in front of the 3x3 and 5x5 cut the depth the large kernels see; that
    is what keeps nine of these modules affordable. ``kernel_5x5`` is the kernel of the "5x5"
    branch: 5 in the paper, 3 in torchvision's reference port. ``bn=False`` builds the 2014 network
    without batch norm.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        kernel_5x5: int = 5,
        bn: bool = True,
    ) -> None:
        super().__init__(
            [
                ConvBNReLU(in_channels, ch1x1, 1, bn=bn),
                nn.Sequential(
                    ConvBNReLU(in_channels, ch3x3red, 1, bn=bn),
                    ConvBNReLU(ch3x3red, ch3x3, 3, padding=1, bn=bn),
                ),
                nn.Sequential(
                    ConvBNReLU(in_channels, ch5x5red, 1, bn=bn),
                    ConvBNReLU(ch5x5red, ch5x5, kernel_5x5, padding=kernel_5x5 // 2, bn=bn),
                ),
                nn.Sequential(
                    nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                    ConvBNReLU(in_channels, pool_proj, 1, bn=bn),
                ),
            ]
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj


class AuxClassifier(nn.Module):
    """GoogLeNet's auxiliary classifier: pool to 4x4 -> 1x1 conv (128) -> fc (1024) -> dropout -> fc.

    ``pool`` is the paper's 5x5/3 average pool (a 14x14 grid becomes 4x4) or torchvision's adaptive
    pool to 4x4 (any grid becomes 4x4).
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        pool: nn.Module,
        conv_channels: int = 128,
        hidden: int = 1024,
        dropout: float = 0.7,
        bn: bool = True,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.conv = ConvBNReLU(in_channels, conv_channels, 1, bn=bn)
        self.fc1 = nn.Linear(conv_channels * 4 * 4, hidden)
        self.act = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(x)  # N x C x 4 x 4
        if not is_tracing() and x.shape[-2:] != (4, 4):
            raise ValueError(
                f"GoogLeNet's paper-style auxiliary classifier needs a 14x14 grid at inception 4a/4d "
                f"(224-px images), got a {tuple(x.shape[-2:])} map after its 5x5/3 pool: train at 224 px, "
                "or build with aux_logits=False or config='reference' (whose aux heads pool adaptively)"
            )
        x = self.conv(x)  # N x 128 x 4 x 4
        x = self.act(self.fc1(torch.flatten(x, 1)))  # N x 1024
        return self.fc2(self.dropout(x))  # N x num_classes


class GoogLeNet(InceptionNetWithAux):
    """GoogLeNet / Inception-v1; see the module docstring for the two configurations.

    ``model(x)`` returns logits; in training mode with auxiliary heads it returns
    ``(logits, aux1, aux2)``, aux1 from inception 4a and aux2 from 4d (in order of depth).
    """

    default_image_size = 224
    min_image_size = 15  # ceil-mode pools: 15 px ends 1x1; at 14 px pool3 gets 1x1 and returns 0x0

    def __init__(
        self,
        num_classes: int = 1000,
        config: str = "reference",
        width: float = 1.0,
        aux_logits: bool = True,
        dropout: float | None = None,
        in_chans: int = 3,
    ) -> None:
        if config not in CONFIGS:
            raise ValueError(f"config must be one of {CONFIGS}, got {config!r}")
        paper = config == "paper"
        bn = not paper
        kernel_5x5 = 5 if paper else 3
        if dropout is None:
            dropout = 0.4 if paper else 0.2  # paper section 5 / torchvision's default

        def c(channels: int) -> int:
            return scale_channels(channels, width)

        def inception(in_channels: int, name: str) -> InceptionModule:
            return InceptionModule(in_channels, *(c(n) for n in TABLE_1[name]), kernel_5x5=kernel_5x5, bn=bn)

        def lrn() -> nn.Module:
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75) if paper else nn.Identity()

        def pool(kernel: int = 3) -> nn.MaxPool2d:
            return nn.MaxPool2d(kernel, stride=2, ceil_mode=True)

        inception3a = inception(c(192), "3a")
        inception3b = inception(inception3a.out_channels, "3b")
        inception4a = inception(inception3b.out_channels, "4a")
        inception4b = inception(inception4a.out_channels, "4b")
        inception4c = inception(inception4b.out_channels, "4c")
        inception4d = inception(inception4c.out_channels, "4d")
        inception4e = inception(inception4d.out_channels, "4e")
        inception5a = inception(inception4e.out_channels, "5a")
        inception5b = inception(inception5a.out_channels, "5b")
        super().__init__(num_classes, inception5b.out_channels, dropout, in_chans)
        self.config = config
        if paper:
            self.min_image_size = 31  # the 3x3 pool4 needs a 2x2 grid: 31 px ends 1x1, 30 px 0x0

        self.conv1 = ConvBNReLU(in_chans, c(64), 7, stride=2, padding=3, bn=bn)
        self.pool1 = pool()
        self.norm1 = lrn()
        self.conv2 = ConvBNReLU(c(64), c(64), 1, bn=bn)
        self.conv3 = ConvBNReLU(c(64), c(192), 3, padding=1, bn=bn)
        self.norm2 = lrn()
        self.pool2 = pool()
        self.inception3a = inception3a
        self.inception3b = inception3b
        self.pool3 = pool()
        self.inception4a = inception4a
        self.inception4b = inception4b
        self.inception4c = inception4c
        self.inception4d = inception4d
        self.inception4e = inception4e
        self.pool4 = pool(3 if paper else 2)  # Table 1: 3x3/2; torchvision: 2x2/2
        self.inception5a = inception5a
        self.inception5b = inception5b

        self.aux1: AuxClassifier | None = None
        self.aux2: AuxClassifier | None = None
        if aux_logits:
            self.aux1, self.aux2 = (
                AuxClassifier(
                    block.out_channels,
                    num_classes,
                    nn.AvgPool2d(5, stride=3) if paper else nn.AdaptiveAvgPool2d(4),
                    c(128),
                    c(1024),
                    bn=bn,
                )
                for block in (inception4a, inception4d)
            )

    def _forward_features(self, x: torch.Tensor, with_aux: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The last feature map, and the auxiliary logits when ``with_aux`` (shapes at 224 px)."""
        aux = []
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.norm1(self.pool1(x))  # N x 64 x 56 x 56
        x = self.conv2(x)  # N x 64 x 56 x 56
        x = self.conv3(x)  # N x 192 x 56 x 56
        x = self.pool2(self.norm2(x))  # N x 192 x 28 x 28
        x = self.inception3a(x)  # N x 256 x 28 x 28
        x = self.inception3b(x)  # N x 480 x 28 x 28
        x = self.pool3(x)  # N x 480 x 14 x 14
        x = self.inception4a(x)  # N x 512 x 14 x 14
        if with_aux and self.aux1 is not None:
            aux.append(self.aux1(x))  # N x num_classes
        x = self.inception4b(x)  # N x 512 x 14 x 14
        x = self.inception4c(x)  # N x 512 x 14 x 14
        x = self.inception4d(x)  # N x 528 x 14 x 14
        if with_aux and self.aux2 is not None:
            aux.append(self.aux2(x))  # N x num_classes
        x = self.inception4e(x)  # N x 832 x 14 x 14
        x = self.pool4(x)  # N x 832 x 7 x 7
        x = self.inception5a(x)  # N x 832 x 7 x 7
        x = self.inception5b(x)  # N x 1024 x 7 x 7
        return x, aux


@register_model
def googlenet(
    num_classes: int = 1000,
    *,
    config: str = "reference",
    width: float = 1.0,
    aux_logits: bool = True,
    dropout: float | None = None,
    in_chans: int = 3,
) -> GoogLeNet:
    """GoogLeNet / Inception-v1 (6.6M parameters at 1000 classes without the aux heads).

    ``config``: ``"reference"`` (torchvision, default) or ``"paper"`` (5x5 convs, no BN, LRN, 3x3 pool4).
    ``width`` multiplies every filter count (and the aux heads' widths). ``aux_logits=False`` builds
    no auxiliary classifiers. ``dropout`` before the classifier: default 0.2 (torchvision) or 0.4
    (paper).
    """
    return GoogLeNet(num_classes, config, width, aux_logits, dropout, in_chans)
