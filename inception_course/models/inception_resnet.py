"""Inception-ResNet-v1 and -v2: Inception blocks with residual connections (Szegedy et al. 2016/2017).

Figure numbers are those of the arXiv version (1602.07261), which draws every block; AAAI 2017
numbers are in brackets where that version has the figure (it omits the reduction blocks):

* :class:`StemV1` - Fig. 14 (AAAI Fig. 6, right): 299x299x3 -> 35x35x256.
* The paper's IR-v2 stem is Inception-v4's :class:`~inception_course.models.inception_v4.Stem`
  (Fig. 3). The reference code uses :class:`ReferenceStemV2` instead: an Inception-v3-style stem
  followed by the 320-channel mixed block :class:`Mixed5b`.
* :class:`InceptionResNetA` / :class:`InceptionResNetB` / :class:`InceptionResNetC` - IR-v1 Figs.
  10, 11, 13 (AAAI Fig. 4), IR-v2 Figs. 16, 17, 19 (AAAI Fig. 5). One class each; the two
  networks' filter counts are data (``RESNET_*_FILTERS``).
* Reduction-A is Inception-v4's :class:`~inception_course.models.inception_v4.ReductionA` with
  Table 1's numbers; :class:`InceptionResNetReductionB` is Figs. 12 (v1) and 18 (v2).
* :class:`InceptionResNetV1` / :class:`InceptionResNetV2` - the schema of Fig. 15 (AAAI Fig. 6,
  left): stem, 5 x A, Reduction-A, 10 x B, Reduction-B, 5 x C, average pool, dropout (keep 0.8).

Every residual block ends in the linear 1x1 "filter expansion" conv, whose depth here is always the
block's input depth: the sum needs it, and the figures' own numbers for IR-v2 (1154 and 2048)
do not match the depths that arrive there (1152 and 2144). The residual is scaled before the sum
(section 3.3, Fig. 20) and no batch norm follows the sum. Shapes in comments are for a 299 px
input at ``width=1`` (v1, then v2 reference / v2 paper where they differ).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial
from typing import Sequence

import torch
from torch import nn

from .base import InceptionNet
from .inception_v4 import REDUCTION_A_FILTERS, Stem, ReductionA, avg_pool, check_options, conv, first_convs, max_pool
from .layers import InceptionBlock, IntPair, ResidualInceptionBlock, scale_channels
from .registry import register_model

Filters = Sequence[Sequence[int]]

# Filter counts of each branch, in conv order (the 1x1 first), read off the figures.
#: Inception-ResNet-A, kernels (1x1), (1x1, 3x3), (1x1, 3x3, 3x3): arXiv Figs. 10 and 16.
RESNET_A_FILTERS: dict[str, Filters] = {
    "inception_resnet_v1": ((32,), (32, 32), (32, 32, 32)),
    "inception_resnet_v2": ((32,), (32, 32), (32, 48, 64)),
}
#: Inception-ResNet-B, kernels (1x1), (1x1, 1x7, 7x1): arXiv Figs. 11 and 17.
RESNET_B_FILTERS: dict[str, Filters] = {
    "inception_resnet_v1": ((128,), (128, 128, 128)),
    "inception_resnet_v2": ((192,), (128, 160, 192)),
}
#: Inception-ResNet-C, kernels (1x1), (1x1, 1x3, 3x1): arXiv Figs. 13 and 19.
RESNET_C_FILTERS: dict[str, Filters] = {
    "inception_resnet_v1": ((192,), (192, 192, 192)),
    "inception_resnet_v2": ((192,), (192, 224, 256)),
}
#: Reduction-B, kernels (1x1, 3x3/2), (1x1, 3x3/2), (1x1, 3x3, 3x3/2) + max pool: Figs. 12 and 18.
REDUCTION_B_FILTERS: dict[str, Filters] = {
    "inception_resnet_v1": ((256, 384), (256, 256), (256, 256, 256)),
    "inception_resnet_v2": ((256, 384), (256, 288), (256, 288, 320)),
}

#: Residual scales of the A, B and C blocks in the reference code (the paper: "between 0.1 and 0.3").
RESIDUAL_SCALES = (0.17, 0.10, 0.20)
#: Block repeats (A, B, C): the paper's Fig. 15 for both networks; the reference IR-v2 is deeper and
#: its last C block is unscaled and has no ReLU.
DEPTHS_PAPER = (5, 10, 5)
DEPTHS_REFERENCE_V2 = (10, 20, 10)
#: The reference IR-v2 ends in a 1x1 conv (conv2d_7b) to this many channels; the paper has none.
FINAL_CONV_CHANNELS_V2 = 1536


def tower(in_channels: int, filters: Sequence[int], kernels: Sequence[IntPair], reduce: bool = False) -> nn.Module:
    """One branch: convs in sequence, ``filters[i]`` with ``kernels[i]`` ('same' padding).

    ``reduce=True`` makes the last conv stride 2 with 'V' padding (the reduction blocks). A branch
    of a single conv is that conv itself, as the layer convention asks.
    """
    layers, channels = [], in_channels
    for i, (out, kernel) in enumerate(zip(filters, kernels, strict=True)):
        last_reduces = reduce and i == len(filters) - 1
        layers.append(conv(channels, out, kernel, stride=2 if last_reduces else 1, valid=last_reduces))
        channels = out
    return layers[0] if len(layers) == 1 else nn.Sequential(*layers)


def scale_filters(filters: Filters, width: float) -> list[list[int]]:
    """Every filter count in ``filters`` times ``width`` (see :func:`scale_channels`)."""
    return [[scale_channels(f, width) for f in branch] for branch in filters]


def inception_v3_stem(in_chans: int, width: float) -> list[tuple[str, nn.Module]]:
    """The Inception-v3 stem up to 71x71x192, which both residual stems start with (TF-slim names)."""
    c = partial(scale_channels, width=width)
    return [
        *first_convs(in_chans, width),  # 147x147x64
        ("pool_3a", max_pool()),  # 73x73x64
        ("conv_3b", conv(c(64), c(80), 1)),  # 73x73x80
        ("conv_4a", conv(c(80), c(192), 3, valid=True)),  # 71x71x192
    ]


class StemV1(nn.Sequential):
    """Fig. 14 (AAAI Fig. 6, right): the Inception-ResNet-v1 stem, 299x299x3 -> 35x35x256."""

    def __init__(self, in_chans: int = 3, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        super().__init__(OrderedDict([
            *inception_v3_stem(in_chans, width),  # 71x71x192
            ("conv_4b", conv(c(192), c(256), 3, stride=2, valid=True)),  # 35x35x256
        ]))
        self.out_channels = c(256)


class Mixed5b(InceptionBlock):
    """The reference IR-v2's last stem block (TF-slim 'Mixed_5b'): an Inception-v3 35x35 module
    (1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avg pool-1x1), 192 -> 320 channels. Not in the paper."""

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        super().__init__([
            conv(in_channels, c(96), 1),
            tower(in_channels, (c(48), c(64)), (1, 5)),
            tower(in_channels, (c(64), c(96), c(96)), (1, 3, 3)),
            nn.Sequential(avg_pool(), conv(in_channels, c(64), 1)),
        ])
        self.out_channels = c(96) + c(64) + c(96) + c(64)


class ReferenceStemV2(nn.Sequential):
    """The stem of the reference IR-v2 (TF-slim, timm), not the paper's Fig. 3: the Inception-v3
    stem, a max pool, then :class:`Mixed5b`; 299x299x3 -> 35x35x320."""

    def __init__(self, in_chans: int = 3, width: float = 1.0) -> None:
        mixed_5b = Mixed5b(scale_channels(192, width), width)
        super().__init__(OrderedDict([
            *inception_v3_stem(in_chans, width),  # 71x71x192
            ("pool_5a", max_pool()),  # 35x35x192
            ("mixed_5b", mixed_5b),  # 35x35x320
        ]))
        self.out_channels = mixed_5b.out_channels


class InceptionResNetA(ResidualInceptionBlock):
    """The 35x35 residual block (Figs. 10 / 16): three branches, concat, linear 1x1 back to
    ``in_channels``, scaled sum with the input, ReLU."""

    def __init__(
        self, in_channels: int, filters: Filters, scale: float, width: float = 1.0, activate: bool = True
    ) -> None:
        b0, b1, b2 = scale_filters(filters, width)
        branches = [tower(in_channels, b0, (1,)), tower(in_channels, b1, (1, 3)), tower(in_channels, b2, (1, 3, 3))]
        super().__init__(branches, b0[-1] + b1[-1] + b2[-1], in_channels, scale, activate)


class InceptionResNetB(ResidualInceptionBlock):
    """The 17x17 residual block (Figs. 11 / 17): 1x1 | 1x1-1x7-7x1, then the scaled residual sum."""

    def __init__(
        self, in_channels: int, filters: Filters, scale: float, width: float = 1.0, activate: bool = True
    ) -> None:
        b0, b1 = scale_filters(filters, width)
        branches = [tower(in_channels, b0, (1,)), tower(in_channels, b1, (1, (1, 7), (7, 1)))]
        super().__init__(branches, b0[-1] + b1[-1], in_channels, scale, activate)


class InceptionResNetC(ResidualInceptionBlock):
    """The 8x8 residual block (Figs. 13 / 19): 1x1 | 1x1-1x3-3x1, then the scaled residual sum.

    The reference IR-v2's last one has ``scale=1.0`` and ``activate=False`` (no final ReLU).
    """

    def __init__(
        self, in_channels: int, filters: Filters, scale: float, width: float = 1.0, activate: bool = True
    ) -> None:
        b0, b1 = scale_filters(filters, width)
        branches = [tower(in_channels, b0, (1,)), tower(in_channels, b1, (1, (1, 3), (3, 1)))]
        super().__init__(branches, b0[-1] + b1[-1], in_channels, scale, activate)


class InceptionResNetReductionB(InceptionBlock):
    """Reduction-B of the residual networks (Figs. 12 / 18), 17x17 -> 8x8: three conv towers that
    end in a stride-2 3x3, and a max pool. A concatenation, not a residual block."""

    def __init__(self, in_channels: int, filters: Filters, width: float = 1.0) -> None:
        b0, b1, b2 = scale_filters(filters, width)
        super().__init__([
            tower(in_channels, b0, (1, 3), reduce=True),
            tower(in_channels, b1, (1, 3), reduce=True),
            tower(in_channels, b2, (1, 3, 3), reduce=True),
            max_pool(),
        ])
        self.out_channels = b0[-1] + b1[-1] + b2[-1] + in_channels


def residual_scales(residual_scale: float | tuple[float, float, float] | None) -> tuple[float, float, float]:
    """The (A, B, C) residual scales from a builder's ``residual_scale`` option."""
    if residual_scale is None:
        return RESIDUAL_SCALES
    scales = (residual_scale,) * 3 if isinstance(residual_scale, (int, float)) else tuple(residual_scale)
    if len(scales) != 3 or any(not isinstance(s, (int, float)) or s < 0 for s in scales):
        raise ValueError(
            "residual_scale must be a non-negative number or three of them (for the A, B and C blocks),"
            f" got {residual_scale!r}; the paper uses values between 0.1 and 0.3"
        )
    return tuple(float(s) for s in scales)  # type: ignore[return-value]


class InceptionResNet(InceptionNet):
    """The schema both residual networks share (Fig. 15): stem -> A blocks -> Reduction-A ->
    B blocks -> Reduction-B -> C blocks (-> ``final_conv``) -> average pool -> dropout -> fc.

    ``network`` picks the filter tables; ``last_block_unscaled`` and ``final_channels`` give the
    reference IR-v2's unscaled, ReLU-free last C block and its closing 1x1 conv.
    """

    def __init__(
        self,
        network: str,
        stem: nn.Module,
        num_classes: int,
        width: float,
        depths: tuple[int, int, int],
        scales: tuple[float, float, float],
        dropout: float,
        in_chans: int,
        last_block_unscaled: bool = False,
        final_channels: int | None = None,
    ) -> None:
        depth = stem.out_channels
        blocks_a = nn.Sequential(*[
            InceptionResNetA(depth, RESNET_A_FILTERS[network], scales[0], width) for _ in range(depths[0])
        ])
        reduction_a = ReductionA(depth, *REDUCTION_A_FILTERS[network], width=width)
        depth = reduction_a.out_channels
        blocks_b = nn.Sequential(*[
            InceptionResNetB(depth, RESNET_B_FILTERS[network], scales[1], width) for _ in range(depths[1])
        ])
        reduction_b = InceptionResNetReductionB(depth, REDUCTION_B_FILTERS[network], width)
        depth = reduction_b.out_channels
        blocks_c = [InceptionResNetC(depth, RESNET_C_FILTERS[network], scales[2], width) for _ in range(depths[2])]
        if last_block_unscaled and blocks_c:
            blocks_c[-1] = InceptionResNetC(depth, RESNET_C_FILTERS[network], 1.0, width, activate=False)
        final_conv: nn.Module = nn.Identity()
        if final_channels is not None:
            final_conv = conv(depth, scale_channels(final_channels, width), 1)
            depth = scale_channels(final_channels, width)
        super().__init__(num_classes, depth, dropout, in_chans)
        self.stem = stem
        self.blocks_a = blocks_a
        self.reduction_a = reduction_a
        self.blocks_b = blocks_b
        self.reduction_b = reduction_b
        self.blocks_c = nn.Sequential(*blocks_c)
        self.final_conv = final_conv

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # 35x35x256 (v1) | 35x35x320 (v2 reference) | 35x35x384 (v2 paper)
        x = self.blocks_a(x)  # same shape
        x = self.reduction_a(x)  # 17x17x896 | 17x17x1088 | 17x17x1152
        x = self.blocks_b(x)  # same shape
        x = self.reduction_b(x)  # 8x8x1792 | 8x8x2080 | 8x8x2144
        x = self.blocks_c(x)  # same shape
        return self.final_conv(x)  # unchanged | 8x8x1536 | unchanged


class InceptionResNetV1(InceptionResNet):
    """Inception-ResNet-v1 as the paper draws it (Figs. 10-15); no ImageNet reference exists.

    Where the FaceNet ports (davidsandberg/facenet ``src/models/inception_resnet_v1.py``, and the
    PyTorch ``facenet-pytorch`` port of it) differ: they add a sixth Inception-ResNet-C block
    (unscaled, no ReLU, like the reference IR-v2's last one); they end in a face-embedding
    bottleneck (a linear layer to 128 or 512 numbers - in facenet-pytorch bias-free and batch-normed -
    then L2-normalised) instead of a 1000-way
    classifier; and davidsandberg's TF-slim batch norm has no learned scale (slim's ``scale=False``
    default). Their stems, blocks, Reduction-A numbers (192, 192, 256, 384), Reduction-B and
    residual scales (0.17, 0.10, 0.20) are the ones built here.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        width: float = 1.0,
        depths: tuple[int, int, int] = DEPTHS_PAPER,
        scales: tuple[float, float, float] = RESIDUAL_SCALES,
        dropout: float = 0.2,
        in_chans: int = 3,
    ) -> None:
        stem = StemV1(in_chans, width)
        super().__init__("inception_resnet_v1", stem, num_classes, width, depths, scales, dropout, in_chans)


class InceptionResNetV2(InceptionResNet):
    """Inception-ResNet-v2: ``config="reference"`` is timm's / TF-slim's (the published weights),
    ``config="paper"`` the figures (Fig. 3 stem, 5/10/5 blocks, no final 1x1 conv)."""

    def __init__(
        self,
        num_classes: int = 1000,
        config: str = "reference",
        width: float = 1.0,
        depths: tuple[int, int, int] | None = None,
        scales: tuple[float, float, float] = RESIDUAL_SCALES,
        dropout: float = 0.2,
        in_chans: int = 3,
    ) -> None:
        reference = config == "reference"
        depths = check_options(config, depths, DEPTHS_REFERENCE_V2 if reference else DEPTHS_PAPER)
        stem = ReferenceStemV2(in_chans, width) if reference else Stem(in_chans, width)
        super().__init__(
            "inception_resnet_v2", stem, num_classes, width, depths, scales, dropout, in_chans,
            last_block_unscaled=reference,
            final_channels=FINAL_CONV_CHANNELS_V2 if reference else None,
        )


@register_model
def inception_resnet_v1(
    num_classes: int = 1000,
    *,
    config: str = "reference",
    width: float = 1.0,
    depths: tuple[int, int, int] | None = None,
    dropout: float = 0.2,
    in_chans: int = 3,
    residual_scale: float | tuple[float, float, float] | None = None,
) -> InceptionResNetV1:
    """Inception-ResNet-v1 from the paper's figures (22,756,328 parameters with 1000 classes).

    There is no ImageNet reference implementation, so both ``config`` values build the figures.
    ``depths`` defaults to (5, 10, 5); ``residual_scale`` (one number or one per A/B/C block)
    to 0.17 / 0.10 / 0.20, the values of the FaceNet port and of the reference IR-v2.
    """
    depths = check_options(config, depths, DEPTHS_PAPER)
    return InceptionResNetV1(num_classes, width, depths, residual_scales(residual_scale), dropout, in_chans)


@register_model
def inception_resnet_v2(
    num_classes: int = 1000,
    *,
    config: str = "reference",
    width: float = 1.0,
    depths: tuple[int, int, int] | None = None,
    dropout: float = 0.2,
    in_chans: int = 3,
    residual_scale: float | tuple[float, float, float] | None = None,
) -> InceptionResNetV2:
    """Inception-ResNet-v2 (55.8M parameters with 1000 classes in the reference config).

    ``config="reference"``: timm's ``inception_resnet_v2`` (v3-style stem with Mixed_5b, 10/20/10
    blocks with an unscaled last one, final 1x1 conv to 1536). ``config="paper"``: the figures
    (Fig. 3 stem, 5/10/5 blocks). ``residual_scale`` defaults to 0.17 / 0.10 / 0.20 in both.
    """
    return InceptionResNetV2(num_classes, config, width, depths, residual_scales(residual_scale), dropout, in_chans)
