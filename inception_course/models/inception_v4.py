"""Inception-v4: the pure (non-residual) network of Szegedy et al. 2016/2017.

Figure numbers are those of the arXiv version (1602.07261), which draws every block; the AAAI 2017
version merges them into fewer figures (given in brackets) and omits the reduction blocks:

* :class:`Stem` - Fig. 3 (AAAI Fig. 2, right): three plain convs, then three "filter concat" blocks
  that halve the grid by a strided conv and a max pool side by side (299x299x3 -> 35x35x384).
* :class:`InceptionA` / :class:`InceptionB` / :class:`InceptionC` - Figs. 4, 5, 6 (AAAI Fig. 3):
  the 35x35, 17x17 and 8x8 grid modules.
* :class:`ReductionA` - Fig. 7 with Table 1's filter numbers ``k, l, m, n``; the same block, with
  other numbers, reduces the grid in both Inception-ResNets.
* :class:`ReductionB` - Fig. 8: 17x17 -> 8x8.
* :class:`InceptionV4` - Fig. 9 (AAAI Fig. 2, left): stem, 4 x A, Reduction-A, 7 x B,
  Reduction-B, 3 x C, average pool, dropout (keep 0.8), classifier.

The reference implementation (TF-slim, ported to timm as ``inception_v4``) builds the same network,
so ``config="paper"`` and ``config="reference"`` differ only where the figures cannot be built as
drawn (see :mod:`inception_course.models.differences`). Shapes in comments are for a 299 px input at
``width=1``. The conv helpers here (:func:`conv`, :func:`max_pool`, :func:`avg_pool`,
:func:`first_convs`) are shared with :mod:`inception_course.models.inception_resnet`.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

import torch
from torch import nn

from .base import InceptionNet
from .layers import ConvBNReLU, InceptionBlock, IntPair, scale_channels
from .registry import register_model

#: Table 1 of the arXiv paper: Reduction-A filter counts (k, l, m, n) for each network.
REDUCTION_A_FILTERS: dict[str, tuple[int, int, int, int]] = {
    "inception_v4": (192, 224, 256, 384),
    "inception_resnet_v1": (192, 192, 256, 384),
    "inception_resnet_v2": (256, 256, 384, 384),
}

#: Block repeats (Inception-A, -B, -C) of Fig. 9; the reference uses the same.
DEPTHS_V4 = (4, 7, 3)
CONFIGS = ("reference", "paper")


def conv(
    in_channels: int, out_channels: int, kernel_size: IntPair, stride: int = 1, *, valid: bool = False
) -> ConvBNReLU:
    """A :class:`ConvBNReLU` padded as the figures say: ``valid=True`` is their 'V' (no padding),
    otherwise 'same' padding (``k // 2`` per side keeps the grid size at stride 1)."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    padding = (0, 0) if valid else (kh // 2, kw // 2)
    return ConvBNReLU(in_channels, out_channels, (kh, kw), stride, padding)


def max_pool() -> nn.MaxPool2d:
    """The 3x3 stride-2 'V' max pool that every grid reduction uses."""
    return nn.MaxPool2d(3, stride=2)


def avg_pool() -> nn.AvgPool2d:
    """The 3x3 stride-1 'same' average pool of the Inception blocks.

    ``count_include_pad=False`` is what TensorFlow's 'SAME' pooling does (border windows average
    only the real pixels), and what the published weights were trained with.
    """
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


def first_convs(in_chans: int, width: float) -> list[tuple[str, nn.Module]]:
    """The three plain convs that open every stem of the paper (Figs. 3 and 14), with TF-slim names."""
    c = partial(scale_channels, width=width)
    return [
        ("conv_1a", conv(in_chans, c(32), 3, stride=2, valid=True)),  # 149x149x32
        ("conv_2a", conv(c(32), c(32), 3, valid=True)),  # 147x147x32
        ("conv_2b", conv(c(32), c(64), 3)),  # 147x147x64
    ]


class Stem(nn.Sequential):
    """Fig. 3 (AAAI Fig. 2, right): 299x299x3 -> 35x35x384, used by Inception-v4 (and by the
    paper's Inception-ResNet-v2). Its three filter concatenations are :class:`InceptionBlock` s.

    In the figure the last 3x3 conv is labelled '192 V' without a stride, yet its output is
    35x35 next to a stride-2 pool; both configurations give it stride 2 (as the reference does).
    """

    def __init__(self, in_chans: int = 3, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        mixed_3a = InceptionBlock([max_pool(), conv(c(64), c(96), 3, stride=2, valid=True)])
        mixed_4a = InceptionBlock([
            nn.Sequential(conv(c(64) + c(96), c(64), 1), conv(c(64), c(96), 3, valid=True)),
            nn.Sequential(
                conv(c(64) + c(96), c(64), 1),
                conv(c(64), c(64), (1, 7)),
                conv(c(64), c(64), (7, 1)),
                conv(c(64), c(96), 3, valid=True),
            ),
        ])
        mixed_5a = InceptionBlock([conv(2 * c(96), c(192), 3, stride=2, valid=True), max_pool()])
        super().__init__(OrderedDict([
            *first_convs(in_chans, width),  # 147x147x64
            ("mixed_3a", mixed_3a),  # first filter concat: 73x73x160
            ("mixed_4a", mixed_4a),  # second filter concat: 71x71x192
            ("mixed_5a", mixed_5a),  # third filter concat: 35x35x384
        ]))
        self.out_channels = c(192) + 2 * c(96)


class InceptionA(InceptionBlock):
    """Fig. 4 (AAAI Fig. 3, left): the 35x35 module, 384 -> 384 channels."""

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        super().__init__([
            conv(in_channels, c(96), 1),
            nn.Sequential(conv(in_channels, c(64), 1), conv(c(64), c(96), 3)),
            nn.Sequential(conv(in_channels, c(64), 1), conv(c(64), c(96), 3), conv(c(96), c(96), 3)),
            nn.Sequential(avg_pool(), conv(in_channels, c(96), 1)),
        ])
        self.out_channels = 4 * c(96)


class InceptionB(InceptionBlock):
    """Fig. 5 (AAAI Fig. 3, middle): the 17x17 module with factorised 7x7s, 1024 -> 1024 channels."""

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        super().__init__([
            conv(in_channels, c(384), 1),
            nn.Sequential(conv(in_channels, c(192), 1), conv(c(192), c(224), (1, 7)), conv(c(224), c(256), (7, 1))),
            nn.Sequential(
                conv(in_channels, c(192), 1),
                conv(c(192), c(192), (7, 1)),
                conv(c(192), c(224), (1, 7)),
                conv(c(224), c(224), (7, 1)),
                conv(c(224), c(256), (1, 7)),
            ),
            nn.Sequential(avg_pool(), conv(in_channels, c(128), 1)),
        ])
        self.out_channels = c(384) + 2 * c(256) + c(128)


class InceptionC(InceptionBlock):
    """Fig. 6 (AAAI Fig. 3, right): the 8x8 module, 1536 -> 1536 channels.

    Two branches end in a split into a 1x3 and a 3x1 conv whose outputs are concatenated: that
    split is itself a small :class:`InceptionBlock` inside the branch.
    """

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        super().__init__([
            conv(in_channels, c(256), 1),
            nn.Sequential(
                conv(in_channels, c(384), 1),
                InceptionBlock([conv(c(384), c(256), (1, 3)), conv(c(384), c(256), (3, 1))]),
            ),
            nn.Sequential(
                conv(in_channels, c(384), 1),
                conv(c(384), c(448), (3, 1)),
                conv(c(448), c(512), (1, 3)),
                InceptionBlock([conv(c(512), c(256), (1, 3)), conv(c(512), c(256), (3, 1))]),
            ),
            nn.Sequential(avg_pool(), conv(in_channels, c(256), 1)),
        ])
        self.out_channels = 6 * c(256)


class ReductionA(InceptionBlock):
    """Fig. 7: 35x35 -> 17x17 for all three networks; ``k, l, m, n`` come from Table 1
    (:data:`REDUCTION_A_FILTERS`). Output depth: ``n + m + in_channels`` (the pool passes its input)."""

    def __init__(self, in_channels: int, k: int, l: int, m: int, n: int, width: float = 1.0) -> None:  # noqa: E741
        k, l, m, n = (scale_channels(f, width) for f in (k, l, m, n))  # noqa: E741
        super().__init__([
            conv(in_channels, n, 3, stride=2, valid=True),
            nn.Sequential(conv(in_channels, k, 1), conv(k, l, 3), conv(l, m, 3, stride=2, valid=True)),
            max_pool(),
        ])
        self.out_channels = n + m + in_channels


class ReductionB(InceptionBlock):
    """Fig. 8: Inception-v4's 17x17 -> 8x8 reduction, 1024 -> 1536 channels."""

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        c = partial(scale_channels, width=width)
        super().__init__([
            nn.Sequential(conv(in_channels, c(192), 1), conv(c(192), c(192), 3, stride=2, valid=True)),
            nn.Sequential(
                conv(in_channels, c(256), 1),
                conv(c(256), c(256), (1, 7)),
                conv(c(256), c(320), (7, 1)),
                conv(c(320), c(320), 3, stride=2, valid=True),
            ),
            max_pool(),
        ])
        self.out_channels = c(192) + c(320) + in_channels


def check_options(
    config: str, depths: tuple[int, int, int] | None, default_depths: tuple[int, int, int]
) -> tuple[int, int, int]:
    """Validate ``config`` and ``depths`` (shared by all three builders); return the depths to build."""
    if config not in CONFIGS:
        raise ValueError(f"config must be one of {CONFIGS}, got {config!r}")
    if depths is None:
        return default_depths
    if len(depths) != 3 or any(not isinstance(d, int) or d < 0 for d in depths):
        raise ValueError(
            f"depths must be three non-negative ints (repeats of the A, B and C blocks), got {depths!r}"
        )
    return tuple(depths)  # type: ignore[return-value]


def repeat_blocks(block: type[nn.Module], in_channels: int, n: int, width: float) -> tuple[nn.Sequential, int]:
    """``n`` blocks in a row, each fed the previous one's output depth; returns them and the last depth."""
    blocks = []
    for _ in range(n):
        blocks.append(block(in_channels, width))
        in_channels = blocks[-1].out_channels
    return nn.Sequential(*blocks), in_channels


class InceptionV4(InceptionNet):
    """Fig. 9: stem -> 4 x Inception-A -> Reduction-A -> 7 x Inception-B -> Reduction-B ->
    3 x Inception-C -> average pool -> dropout -> fully connected.

    ``width`` multiplies every filter count and ``depths`` sets the (A, B, C) repeats, so that a
    small version of the same architecture trains quickly on small images.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        width: float = 1.0,
        depths: tuple[int, int, int] = DEPTHS_V4,
        dropout: float = 0.2,
        in_chans: int = 3,
    ) -> None:
        # Each block takes the previous block's real output depth: at widths where rounding is not
        # exact (e.g. 4 * c(96) != c(192) + 2 * c(96)) the nominal 384/1024/1536 would not match.
        stem = Stem(in_chans, width)
        blocks_a, channels = repeat_blocks(InceptionA, stem.out_channels, depths[0], width)
        reduction_a = ReductionA(channels, *REDUCTION_A_FILTERS["inception_v4"], width=width)
        blocks_b, channels = repeat_blocks(InceptionB, reduction_a.out_channels, depths[1], width)
        reduction_b = ReductionB(channels, width)
        blocks_c, channels = repeat_blocks(InceptionC, reduction_b.out_channels, depths[2], width)
        super().__init__(num_classes, channels, dropout, in_chans)
        self.stem = stem
        self.blocks_a = blocks_a
        self.reduction_a = reduction_a
        self.blocks_b = blocks_b
        self.reduction_b = reduction_b
        self.blocks_c = blocks_c

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # 35x35x384
        x = self.blocks_a(x)  # 35x35x384
        x = self.reduction_a(x)  # 17x17x1024
        x = self.blocks_b(x)  # 17x17x1024
        x = self.reduction_b(x)  # 8x8x1536
        return self.blocks_c(x)  # 8x8x1536


@register_model
def inception_v4(
    num_classes: int = 1000,
    *,
    config: str = "reference",
    width: float = 1.0,
    depths: tuple[int, int, int] | None = None,
    dropout: float = 0.2,
    in_chans: int = 3,
) -> InceptionV4:
    """Inception-v4 (42.7M parameters with 1000 classes).

    ``config``: ``"reference"`` (timm / TF-slim, what the published weights fit) or ``"paper"``
    (the figures); for Inception-v4 both build the same network. ``depths`` defaults to (4, 7, 3);
    ``dropout`` 0.2 is the figure's 'keep 0.8'.
    """
    return InceptionV4(num_classes, width, check_options(config, depths, DEPTHS_V4), dropout, in_chans)
