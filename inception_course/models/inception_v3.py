"""Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", 2016).

The v3 paper factorises convolutions: a 5x5 becomes two 3x3 (Fig. 5), an n x n becomes 1 x n then
n x 1 (Fig. 6, n = 7 on the 17x17 grid), and on the coarsest grid the 1x3 and 3x1 run side by side
to widen the output (Fig. 7). Between the grids, "grid size reduction" blocks (Fig. 10) run stride-2
convs and a stride-2 pool in parallel instead of pooling first (which would lose information) or
convolving first (which would cost more). One auxiliary classifier, with batch norm, sits on the
17x17 grid; the paper treats it as a regulariser.

This module builds the network that torchvision and timm build (the same structure and weights,
Google's released model), which differs from the paper's figures in small ways: the Fig. 5 modules
keep a 1x1 -> 5x5 branch next to the double 3x3 one, and the stem differs from the paper's Table 1
in three places (a 1x1 conv to 80 where the table has a 3x3; a max pool where it has a strided 3x3
conv; no conv to 288 channels before the 35x35 modules). :mod:`inception_course.models.differences`
records each; there is no separate ``config="paper"``.

Class names follow the v4 paper's naming of the same grid sizes; torchvision's names differ:

==================  =====================  ==========================
ours                v3 paper               torchvision / timm class
==================  =====================  ==========================
``InceptionA``      Fig. 5 (35x35)         ``InceptionA`` (Mixed_5b-d)
``ReductionA``      Fig. 10 (35 -> 17)     ``InceptionB`` (Mixed_6a)
``InceptionB``      Fig. 6 (17x17, n=7)    ``InceptionC`` (Mixed_6b-e)
``ReductionB``      17 -> 8 (no figure)    ``InceptionD`` (Mixed_7a)
``InceptionC``      Fig. 7 (8x8)           ``InceptionE`` (Mixed_7b-c)
==================  =====================  ==========================
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .base import InceptionNetWithAux, is_tracing
from .layers import ConvBNReLU, InceptionBlock, scale_channels
from .registry import register_model

# Filter counts of each module, in the order of its constructor's arguments (torchvision / timm).
# Fig. 5 modules: #1x1, #5x5 reduce, #5x5, double #3x3 reduce, double #3x3, pool proj.
INCEPTION_A_ROWS = [(64, 48, 64, 64, 96, 32), (64, 48, 64, 64, 96, 64), (64, 48, 64, 64, 96, 64)]
# Fig. 10 reduction: #3x3/2, double #3x3 reduce, double #3x3 (the second one /2).
REDUCTION_A_ROW = (384, 64, 96)
# Fig. 6 modules: #1x1, #7x7 reduce, #7x7, double #7x7 reduce, double #7x7, pool proj; the
# reduce width c7 (128, 160, 160, 192) also runs through the factorised 1x7 / 7x1 layers.
INCEPTION_B_ROWS = [(192, c7, 192, c7, 192, 192) for c7 in (128, 160, 160, 192)]
# 17 -> 8 reduction: #3x3 reduce, #3x3/2, #7x7x3 reduce, #7x7x3 (the last 3x3 /2).
REDUCTION_B_ROW = (192, 320, 192, 192)
# Fig. 7 modules: #1x1, #3x3 reduce, #3x3 (1x3 and 3x1 each), double #3x3 reduce, double #3x3, pool proj.
INCEPTION_C_ROWS = [(320, 384, 384, 448, 384, 192)] * 2
STAGE_ROWS = (INCEPTION_A_ROWS, INCEPTION_B_ROWS, INCEPTION_C_ROWS)
#: Modules per grid size (Mixed_5b-d, Mixed_6b-e, Mixed_7b-c).
DEFAULT_DEPTHS = (3, 4, 2)


def stage_rows(rows: list[tuple[int, ...]], depth: int) -> list[tuple[int, ...]]:
    """The filter rows of a stage shortened (the first ``depth``) or lengthened (the last repeated)
    to ``depth`` modules: how ``depths`` builds shorter networks, e.g. for CPU-sized experiments
    that compare Inception-v3 with an equally shortened Inception-ResNet-v1."""
    if depth < 1:
        raise ValueError(f"every stage needs at least one module, got depth {depth}")
    return rows[:depth] + rows[-1:] * (depth - len(rows))


def _pool_branch(in_channels: int, pool_proj: int) -> nn.Sequential:
    """3x3 average pool (stride 1, zero padding counted as torchvision does) -> 1x1 projection."""
    return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1), ConvBNReLU(in_channels, pool_proj, 1))


def _split_1x3_3x1(in_channels: int, out_channels: int) -> InceptionBlock:
    """Fig. 7's widening: a 1x3 and a 3x1 conv side by side, concatenated (2 x ``out_channels``)."""
    return InceptionBlock(
        [
            ConvBNReLU(in_channels, out_channels, (1, 3), padding=(0, 1)),
            ConvBNReLU(in_channels, out_channels, (3, 1), padding=(1, 0)),
        ]
    )


class InceptionA(InceptionBlock):
    """35x35 module (v3 paper Fig. 5): 1x1 | 1x1->5x5 | 1x1->3x3->3x3 | avg pool->1x1."""

    def __init__(
        self, in_channels: int, ch1x1: int, ch5x5red: int, ch5x5: int, dbl3x3red: int, dbl3x3: int, pool_proj: int
    ) -> None:
        super().__init__(
            [
                ConvBNReLU(in_channels, ch1x1, 1),
                nn.Sequential(ConvBNReLU(in_channels, ch5x5red, 1), ConvBNReLU(ch5x5red, ch5x5, 5, padding=2)),
                nn.Sequential(
                    ConvBNReLU(in_channels, dbl3x3red, 1),
                    ConvBNReLU(dbl3x3red, dbl3x3, 3, padding=1),
                    ConvBNReLU(dbl3x3, dbl3x3, 3, padding=1),
                ),
                _pool_branch(in_channels, pool_proj),
            ]
        )
        self.out_channels = ch1x1 + ch5x5 + dbl3x3 + pool_proj


class ReductionA(InceptionBlock):
    """35x35 -> 17x17 grid reduction (v3 paper Fig. 10): 3x3/2 | 1x1->3x3->3x3/2 | max pool/2."""

    def __init__(self, in_channels: int, ch3x3: int, dbl3x3red: int, dbl3x3: int) -> None:
        super().__init__(
            [
                ConvBNReLU(in_channels, ch3x3, 3, stride=2),
                nn.Sequential(
                    ConvBNReLU(in_channels, dbl3x3red, 1),
                    ConvBNReLU(dbl3x3red, dbl3x3, 3, padding=1),
                    ConvBNReLU(dbl3x3, dbl3x3, 3, stride=2),
                ),
                nn.MaxPool2d(3, stride=2),
            ]
        )
        self.out_channels = ch3x3 + dbl3x3 + in_channels


class InceptionB(InceptionBlock):
    """17x17 module (v3 paper Fig. 6, n=7): 1x1 | 1x1->1x7->7x1 | 1x1->7x1->1x7->7x1->1x7 | avg pool->1x1."""

    def __init__(
        self, in_channels: int, ch1x1: int, ch7x7red: int, ch7x7: int, dbl7x7red: int, dbl7x7: int, pool_proj: int
    ) -> None:
        c7, d7 = ch7x7red, dbl7x7red
        super().__init__(
            [
                ConvBNReLU(in_channels, ch1x1, 1),
                nn.Sequential(
                    ConvBNReLU(in_channels, c7, 1),
                    ConvBNReLU(c7, c7, (1, 7), padding=(0, 3)),
                    ConvBNReLU(c7, ch7x7, (7, 1), padding=(3, 0)),
                ),
                nn.Sequential(
                    ConvBNReLU(in_channels, d7, 1),
                    ConvBNReLU(d7, d7, (7, 1), padding=(3, 0)),
                    ConvBNReLU(d7, d7, (1, 7), padding=(0, 3)),
                    ConvBNReLU(d7, d7, (7, 1), padding=(3, 0)),
                    ConvBNReLU(d7, dbl7x7, (1, 7), padding=(0, 3)),
                ),
                _pool_branch(in_channels, pool_proj),
            ]
        )
        self.out_channels = ch1x1 + ch7x7 + dbl7x7 + pool_proj


class ReductionB(InceptionBlock):
    """17x17 -> 8x8 grid reduction: 1x1->3x3/2 | 1x1->1x7->7x1->3x3/2 | max pool/2."""

    def __init__(self, in_channels: int, ch3x3red: int, ch3x3: int, ch7x7x3red: int, ch7x7x3: int) -> None:
        super().__init__(
            [
                nn.Sequential(ConvBNReLU(in_channels, ch3x3red, 1), ConvBNReLU(ch3x3red, ch3x3, 3, stride=2)),
                nn.Sequential(
                    ConvBNReLU(in_channels, ch7x7x3red, 1),
                    ConvBNReLU(ch7x7x3red, ch7x7x3red, (1, 7), padding=(0, 3)),
                    ConvBNReLU(ch7x7x3red, ch7x7x3red, (7, 1), padding=(3, 0)),
                    ConvBNReLU(ch7x7x3red, ch7x7x3, 3, stride=2),
                ),
                nn.MaxPool2d(3, stride=2),
            ]
        )
        self.out_channels = ch3x3 + ch7x7x3 + in_channels


class InceptionC(InceptionBlock):
    """8x8 module with expanded filter bank (v3 paper Fig. 7):
    1x1 | 1x1->(1x3 | 3x1) | 1x1->3x3->(1x3 | 3x1) | avg pool->1x1."""

    def __init__(
        self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, dbl3x3red: int, dbl3x3: int, pool_proj: int
    ) -> None:
        super().__init__(
            [
                ConvBNReLU(in_channels, ch1x1, 1),
                nn.Sequential(ConvBNReLU(in_channels, ch3x3red, 1), _split_1x3_3x1(ch3x3red, ch3x3)),
                nn.Sequential(
                    ConvBNReLU(in_channels, dbl3x3red, 1),
                    ConvBNReLU(dbl3x3red, dbl3x3, 3, padding=1),
                    _split_1x3_3x1(dbl3x3, dbl3x3),
                ),
                _pool_branch(in_channels, pool_proj),
            ]
        )
        self.out_channels = ch1x1 + 2 * ch3x3 + 2 * dbl3x3 + pool_proj


class AuxClassifier(nn.Module):
    """Inception-v3's auxiliary classifier on the 17x17 grid:
    5x5/3 avg pool -> 1x1 conv (128) -> 5x5 conv (768) -> global pool -> fc."""

    def __init__(self, in_channels: int, num_classes: int, proj: int = 128, hidden: int = 768) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(5, stride=3)
        self.proj = ConvBNReLU(in_channels, proj, 1)
        self.conv = ConvBNReLU(proj, hidden, 5)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not is_tracing() and min(x.shape[-2:]) < 17:
            raise ValueError(
                "Inception-v3's auxiliary classifier needs at least a 17x17 grid (images of 299 px or "
                f"more), got a {tuple(x.shape[-2:])} grid: train with larger images, or build the model "
                "with aux_logits=False"
            )
        x = self.pool(x)  # N x 768 x 5 x 5
        x = self.proj(x)  # N x 128 x 5 x 5
        x = self.conv(x)  # N x 768 x 1 x 1
        return self.fc(torch.flatten(self.global_pool(x), 1))  # N x num_classes


class InceptionV3(InceptionNetWithAux):
    """Inception-v3 as torchvision / timm build it (see the module docstring).

    ``model(x)`` returns logits; in training mode with the auxiliary head it returns ``(logits, aux)``.
    """

    default_image_size = 299
    min_image_size = 75  # 75 px leaves 1x1 after the 17->8 reduction; 74 px leaves nothing

    def __init__(
        self,
        num_classes: int = 1000,
        width: float = 1.0,
        aux_logits: bool = True,
        dropout: float = 0.5,
        in_chans: int = 3,
        depths: tuple[int, int, int] = DEFAULT_DEPTHS,
    ) -> None:
        def c(channels: int) -> int:
            return scale_channels(channels, width)

        stem = nn.Sequential(
            OrderedDict(
                conv1a=ConvBNReLU(in_chans, c(32), 3, stride=2),
                conv2a=ConvBNReLU(c(32), c(32), 3),
                conv2b=ConvBNReLU(c(32), c(64), 3, padding=1),
                pool1=nn.MaxPool2d(3, stride=2),
                conv3b=ConvBNReLU(c(64), c(80), 1),
                conv4a=ConvBNReLU(c(80), c(192), 3),
                pool2=nn.MaxPool2d(3, stride=2),
            )
        )
        channels = c(192)

        def stage(block: type[InceptionBlock], rows: list[tuple[int, ...]]) -> list[InceptionBlock]:
            """One block per row of filter counts, each fed by the previous block's output."""
            nonlocal channels
            blocks = []
            for row in rows:
                blocks.append(block(channels, *(c(n) for n in row)))
                channels = blocks[-1].out_channels
            return blocks

        rows_a, rows_b, rows_c = (stage_rows(rows, n) for rows, n in zip(STAGE_ROWS, depths))
        inception_a = stage(InceptionA, rows_a)
        (reduction_a,) = stage(ReductionA, [REDUCTION_A_ROW])
        inception_b = stage(InceptionB, rows_b)
        channels_17x17 = channels
        (reduction_b,) = stage(ReductionB, [REDUCTION_B_ROW])
        inception_c = stage(InceptionC, rows_c)

        super().__init__(num_classes, channels, dropout, in_chans)
        self.stem = stem
        self.inception_a = nn.Sequential(*inception_a)
        self.reduction_a = reduction_a
        self.inception_b = nn.Sequential(*inception_b)
        self.aux = AuxClassifier(channels_17x17, num_classes, c(128), c(768)) if aux_logits else None
        self.reduction_b = reduction_b
        self.inception_c = nn.Sequential(*inception_c)

    def _forward_features(self, x: torch.Tensor, with_aux: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The last feature map, and the auxiliary logits when ``with_aux`` (shapes at 299 px)."""
        x = self.stem(x)  # N x 192 x 35 x 35
        x = self.inception_a(x)  # N x 288 x 35 x 35
        x = self.reduction_a(x)  # N x 768 x 17 x 17
        x = self.inception_b(x)  # N x 768 x 17 x 17
        aux = [self.aux(x)] if with_aux and self.aux is not None else []  # N x num_classes
        x = self.reduction_b(x)  # N x 1280 x 8 x 8
        x = self.inception_c(x)  # N x 2048 x 8 x 8
        return x, aux


@register_model
def inception_v3(
    num_classes: int = 1000,
    *,
    config: str = "reference",
    width: float = 1.0,
    aux_logits: bool = True,
    dropout: float = 0.5,
    in_chans: int = 3,
    depths: tuple[int, int, int] | None = None,
) -> InceptionV3:
    """Inception-v3 (23.8M parameters at 1000 classes without the aux head).

    ``config`` accepts only ``"reference"`` (torchvision / timm; see the module docstring for why
    there is no paper variant). ``width`` multiplies every filter count. ``aux_logits=False`` builds
    no auxiliary classifier. ``dropout`` before the classifier: 0.5 as torchvision. ``depths``
    gives the modules per grid size (default ``(3, 4, 2)``, the reference network).
    """
    if config != "reference":
        raise ValueError(
            f"inception_v3 has only config='reference' (torchvision / timm), got {config!r}: the v3 paper's "
            "Table 1 does not give every filter count, and its released code is the reference"
        )
    if depths is not None and len(depths) != 3:
        raise ValueError(f"inception_v3 takes three depths (35x35, 17x17, 8x8 modules), got {tuple(depths)}")
    return InceptionV3(num_classes, width, aux_logits, dropout, in_chans, tuple(depths or DEFAULT_DEPTHS))
