"""BN-Inception (Ioffe & Szegedy, "Batch Normalization", 2015): what the v4 paper calls Inception-v2.

GoogLeNet with two changes that made it train many times faster and end more accurate: batch norm
after every convolution, and each 5x5 conv replaced by two stacked 3x3 convs (same receptive field,
fewer weights, one more non-linearity). The grid shrinks inside two stride-2 modules (3c, 4e: no
1x1 branch, max pool "pass through") instead of through stand-alone pools between stages, and there
are no auxiliary classifiers. (The Inception-v3 paper uses "Inception-v2" for another network; this
library means BN-Inception by the name, registered as ``inception_v2``.)

Two configurations, both built from the table below (the BN paper's Figure 5 table of layers):

* ``config="reference"`` (default) is TF-slim's ``inception_v2`` (tensorflow/models,
  research/slim/nets/inception_v2.py), the reference implementation of BN-Inception:

  - modules 4c and 4d project their pool branch to 96 filters, not the table's 128, so that every
    14x14 module outputs the 576 channels the table's output column says (with 128, 4c and 4d sum
    to 608 and 4e to 1056 - the table contradicts itself, and TF-slim resolved it this way);
  - the first layer is depthwise-separable (a 7x7 depthwise conv, 8 filters per input channel,
    then a 1x1 conv to 64), TF-slim's default. As in TF-slim it has a bias and a ReLU but no batch
    norm: TF-slim's arg_scope attaches batch norm to ``slim.conv2d`` only, and this layer is a
    ``slim.separable_conv2d``.

* ``config="paper"`` follows the table as printed: pool projections of 128 in 4c and 4d (so 4c/4d
  output 608 channels and 4e 1056, as in the Caffe model released with the paper) and a plain 7x7
  conv with batch norm as the first layer.

Both pad every layer to keep "SAME" sizes (a stride-2 layer halves the grid, rounding up) and
average-pool without counting the padding, as TensorFlow does. Parameter counts differ from
TF-slim's by one batch-norm scale per channel: TF-slim's inception arg_scope leaves ``scale=False``
(only the BN offset is learned) where PyTorch's ``BatchNorm2d`` learns both
(``tests/models/test_bn_inception.py`` counts TF-slim's layers to check this exactly: 11,178,336
trainable parameters in TF-slim, 11,188,224 here). The BN paper quotes 13.6 million parameters for
its network; the table as printed (``config="paper"``) gives 11.3 million with a 1000-class
classifier, and the paper does not say what else it counted.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .base import InceptionNet
from .layers import ConvBNReLU, InceptionBlock, scale_channels
from .registry import register_model

CONFIGS = ("reference", "paper")


class InceptionRow(NamedTuple):
    """One row of the BN paper's Figure 5 table (a stride-2 row has no 1x1 branch and no pool proj)."""

    ch1x1: int
    ch3x3red: int
    ch3x3: int
    dbl3x3red: int
    dbl3x3: int
    pool: str  # "avg" or "max"
    pool_proj: int  # 0: "pass through" (the pooled input joins the concat unchanged)
    stride: int = 1


# Ioffe & Szegedy (2015), Figure 5: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3,
# pool + proj (and the stride-2 remark of 3c and 4e).
PAPER_TABLE: dict[str, InceptionRow] = {
    "3a": InceptionRow(64, 64, 64, 64, 96, "avg", 32),
    "3b": InceptionRow(64, 64, 96, 64, 96, "avg", 64),
    "3c": InceptionRow(0, 128, 160, 64, 96, "max", 0, stride=2),
    "4a": InceptionRow(224, 64, 96, 96, 128, "avg", 128),
    "4b": InceptionRow(192, 96, 128, 96, 128, "avg", 128),
    "4c": InceptionRow(160, 128, 160, 128, 160, "avg", 128),
    "4d": InceptionRow(96, 128, 192, 160, 192, "avg", 128),
    "4e": InceptionRow(0, 128, 192, 192, 256, "max", 0, stride=2),
    "5a": InceptionRow(352, 192, 320, 160, 224, "avg", 128),
    "5b": InceptionRow(352, 192, 320, 192, 224, "max", 128),
}
# TF-slim's inception_v2: the same, except 96-filter pool projections in 4c and 4d (576 channels).
REFERENCE_TABLE: dict[str, InceptionRow] = {
    **PAPER_TABLE,
    "4c": PAPER_TABLE["4c"]._replace(pool_proj=96),
    "4d": PAPER_TABLE["4d"]._replace(pool_proj=96),
}


def _pool(kind: str, stride: int) -> nn.Module:
    """3x3 "SAME" pool; the average excludes the padding (TensorFlow's rule)."""
    if kind == "max":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)


class BNInceptionModule(InceptionBlock):
    """1x1 | 1x1->3x3 | 1x1->3x3->3x3 (GoogLeNet's 5x5, factorised) | pool->1x1, all with BN."""

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        dbl3x3red: int,
        dbl3x3: int,
        pool: str,
        pool_proj: int,
    ) -> None:
        super().__init__(
            [
                ConvBNReLU(in_channels, ch1x1, 1),
                nn.Sequential(ConvBNReLU(in_channels, ch3x3red, 1), ConvBNReLU(ch3x3red, ch3x3, 3, padding=1)),
                nn.Sequential(
                    ConvBNReLU(in_channels, dbl3x3red, 1),
                    ConvBNReLU(dbl3x3red, dbl3x3, 3, padding=1),
                    ConvBNReLU(dbl3x3, dbl3x3, 3, padding=1),
                ),
                nn.Sequential(_pool(pool, stride=1), ConvBNReLU(in_channels, pool_proj, 1)),
            ]
        )
        self.out_channels = ch1x1 + ch3x3 + dbl3x3 + pool_proj


class BNInceptionReduction(InceptionBlock):
    """Stride-2 module (rows 3c, 4e): 1x1->3x3/2 | 1x1->3x3->3x3/2 | 3x3/2 max pool passed through.

    Halving the grid inside a module, with convs and the pool side by side, replaces GoogLeNet's
    stand-alone pools between stages; the pooled input keeps all its channels.
    """

    def __init__(self, in_channels: int, ch3x3red: int, ch3x3: int, dbl3x3red: int, dbl3x3: int) -> None:
        super().__init__(
            [
                nn.Sequential(
                    ConvBNReLU(in_channels, ch3x3red, 1),
                    ConvBNReLU(ch3x3red, ch3x3, 3, stride=2, padding=1),
                ),
                nn.Sequential(
                    ConvBNReLU(in_channels, dbl3x3red, 1),
                    ConvBNReLU(dbl3x3red, dbl3x3, 3, padding=1),
                    ConvBNReLU(dbl3x3, dbl3x3, 3, stride=2, padding=1),
                ),
                _pool("max", stride=2),
            ]
        )
        self.out_channels = ch3x3 + dbl3x3 + in_channels


def _separable_conv1(in_chans: int, out_channels: int) -> nn.Sequential:
    """TF-slim's first layer: 7x7/2 depthwise conv (up to 8 filters per input channel, no bias)
    -> 1x1 pointwise conv with bias -> ReLU (no batch norm, see the module docstring)."""
    multiplier = max(1, min(out_channels // in_chans, 8))
    return nn.Sequential(
        nn.Conv2d(in_chans, in_chans * multiplier, 7, stride=2, padding=3, groups=in_chans, bias=False),
        ConvBNReLU(in_chans * multiplier, out_channels, 1, bn=False),
    )


class BNInception(InceptionNet):
    """BN-Inception ("Inception-v2" in the v4 paper); see the module docstring for the configurations."""

    default_image_size = 224
    # Every layer pads, so no size fails outright; at 17 px every stride-2 layer still gets at least
    # 2x2 pixels to reduce (at 16 px the 4e module would "reduce" a single pixel).
    min_image_size = 17

    def __init__(
        self,
        num_classes: int = 1000,
        config: str = "reference",
        width: float = 1.0,
        dropout: float = 0.2,
        in_chans: int = 3,
    ) -> None:
        if config not in CONFIGS:
            raise ValueError(f"config must be one of {CONFIGS}, got {config!r}")
        table = PAPER_TABLE if config == "paper" else REFERENCE_TABLE

        def c(channels: int) -> int:
            return scale_channels(channels, width)

        blocks: dict[str, InceptionBlock] = {}
        channels = c(192)
        for name, row in table.items():
            if row.stride == 2:
                block = BNInceptionReduction(
                    channels, c(row.ch3x3red), c(row.ch3x3), c(row.dbl3x3red), c(row.dbl3x3)
                )
            else:
                block = BNInceptionModule(
                    channels,
                    *(c(n) for n in (row.ch1x1, row.ch3x3red, row.ch3x3, row.dbl3x3red, row.dbl3x3)),
                    row.pool,
                    c(row.pool_proj),
                )
            blocks[name] = block
            channels = block.out_channels

        super().__init__(num_classes, channels, dropout, in_chans)
        self.config = config
        if config == "paper":
            self.conv1 = ConvBNReLU(in_chans, c(64), 7, stride=2, padding=3)
        else:
            self.conv1 = _separable_conv1(in_chans, c(64))
        self.pool1 = _pool("max", stride=2)
        self.conv2 = ConvBNReLU(c(64), c(64), 1)  # the table's "#3x3 reduce" of the second conv
        self.conv3 = ConvBNReLU(c(64), c(192), 3, padding=1)
        self.pool2 = _pool("max", stride=2)
        for name, block in blocks.items():
            self.add_module(f"inception{name}", block)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map (shapes at 224 px, reference config; paper: 608 for 4c/4d, 1056 for 4e)."""
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.pool1(x)  # N x 64 x 56 x 56
        x = self.conv2(x)  # N x 64 x 56 x 56
        x = self.conv3(x)  # N x 192 x 56 x 56
        x = self.pool2(x)  # N x 192 x 28 x 28
        x = self.inception3a(x)  # N x 256 x 28 x 28
        x = self.inception3b(x)  # N x 320 x 28 x 28
        x = self.inception3c(x)  # N x 576 x 14 x 14
        x = self.inception4a(x)  # N x 576 x 14 x 14
        x = self.inception4b(x)  # N x 576 x 14 x 14
        x = self.inception4c(x)  # N x 576 x 14 x 14
        x = self.inception4d(x)  # N x 576 x 14 x 14
        x = self.inception4e(x)  # N x 1024 x 7 x 7
        x = self.inception5a(x)  # N x 1024 x 7 x 7
        x = self.inception5b(x)  # N x 1024 x 7 x 7
        return x


@register_model
def inception_v2(
    num_classes: int = 1000,
    *,
    config: str = "reference",
    width: float = 1.0,
    dropout: float = 0.2,
    in_chans: int = 3,
) -> BNInception:
    """BN-Inception, the paper's "Inception-v2" (no auxiliary classifiers).

    ``config``: ``"reference"`` (TF-slim's inception_v2, default) or ``"paper"`` (the BN paper's
    table as printed). ``width`` multiplies every filter count. ``dropout`` before the classifier:
    0.2 (TF-slim's keep probability 0.8).
    """
    return BNInception(num_classes, config, width, dropout, in_chans)
