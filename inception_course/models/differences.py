"""Where the papers' figures and the reference code disagree, in one table.

The course builds ``config="reference"`` (what timm / TF-slim / torchvision build, which is what the
published weights fit) by default and ``config="paper"`` on request. :data:`DIFFERENCES` lists every
place the two differ, or the paper cannot be built as drawn, and what the course does about it;
``tests/models/test_differences.py`` checks each row it can against the networks themselves.
Figure numbers are the arXiv version's (1602.07261) unless marked AAAI.

Show it with :func:`render_differences` (``"text"``, ``"markdown"`` or ``"html"``), e.g. in a
notebook: ``IPython.display.HTML(render_differences("html"))``.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    """One disagreement: what the ``paper`` says, what the ``reference`` code does, and a ``note``
    on how the course builds it. ``key`` names the row for tests and lessons."""

    network: str
    what: str
    paper: str
    reference: str
    note: str
    key: str


DIFFERENCES: list[Difference] = [
    # --- GoogLeNet (Szegedy et al. 2014) vs torchvision's googlenet --------------------------------
    Difference(
        "GoogLeNet", "'5x5' branch of every Inception module",
        "1x1 reduction, then a 5x5 conv",
        "torchvision: 1x1 reduction, then a 3x3 conv (a known bug, kept so its weights still load)",
        "the 3x3 is what torchvision's published weights fit; the paper's network needs the 5x5",
        "googlenet_5x5",
    ),
    Difference(
        "GoogLeNet", "normalisation",
        "local response normalisation in the stem; no batch norm (it did not exist yet)",
        "torchvision: batch norm (eps 1e-3) after every conv; no LRN",
        "BN-Inception (2015) added batch norm and dropped LRN; the published weights need BN",
        "googlenet_norm",
    ),
    Difference(
        "GoogLeNet", "dropout before the classifier",
        "40% of outputs dropped",
        "torchvision: 0.2",
        "only matters in training",
        "googlenet_dropout",
    ),
    Difference(
        "GoogLeNet", "auxiliary classifiers' pooling",
        "5x5 average pool, stride 3: on the 14x14 map of a 224-px image, 5x5 windows starting at 0, 3, 6, 9",
        "torchvision: adaptive average pool to 4x4: on a 14x14 map, 4x4 windows starting at 0, 3, 7, 10",
        "the same 4x4 output from different windows, so different values (not interchangeable); "
        "config='paper' builds the 5x5/3 pool, which fits 224 px only",
        "googlenet_aux_pool",
    ),
    Difference(
        "GoogLeNet", "pool4 (after inception 4e)",
        "GoogLeNet paper's Table 1: 3x3 max pool, stride 2",
        "torchvision: 2x2 max pool, stride 2",
        "both give 7x7 from 14x14, with different values; config='paper' builds the 3x3/2 pool",
        "googlenet_pool4",
    ),
    Difference(
        "GoogLeNet", "first layer (conv1, 7x7/2, 64 filters)",
        "the GoogLeNet paper's Table 1 costs it 2.7K parameters and 34M multiply-adds: the numbers of a "
        "depthwise-separable 7x7 (8 filters per input channel, then a 1x1 to 64: 2,712 weights, 34.0M at 224 px)",
        "a dense 7x7 conv: 9,408 weights, 118.0M multiply-adds at 224 px",
        "both configs build the dense conv that the text and figure describe; it is why config='paper' "
        "costs 1.58G multiply-adds against the paper's 1.5G (1.58G - 118.0M + 34.0M = 1.50G)",
        "googlenet_conv1",
    ),
    # --- BN-Inception (Ioffe & Szegedy 2015) vs TF-slim's inception_v2 ---------------------------
    Difference(
        "BN-Inception", "pool projections of modules 4c and 4d",
        "128 (the BN paper's Figure 5 table), although the table's output column (576 channels) needs 96",
        "TF-slim: 96, so that every 14x14 module outputs 576 channels",
        "config='paper' builds 128 (4c/4d output 608, 4e 1056), config='reference' 96 (576, 1024)",
        "bn_pool_proj",
    ),
    Difference(
        "BN-Inception", "first layer",
        "a 7x7/2 conv to 64, with batch norm like every other layer",
        "TF-slim: depthwise-separable 7x7/2 (8 filters per input channel) then 1x1 to 64, "
        "with bias and ReLU but no batch norm",
        "config='paper' builds the dense conv with batch norm, config='reference' TF-slim's layer",
        "bn_conv1",
    ),
    Difference(
        "BN-Inception", "parameters (1000 classes)",
        "13.6 million (BN paper, section 4.2)",
        "11,188,224 (TF-slim's count plus the batch-norm scales it leaves out)",
        "config='paper' has 11,285,224; the paper does not say what else it counted",
        "bn_params",
    ),
    # --- Inception-v3 ----------------------------------------------------------------------------
    Difference(
        "Inception-v3", "3x3 average pools at the image border",
        "trained in TensorFlow, whose 'SAME' pooling averages only the real pixels",
        "torchvision and timm: F.avg_pool2d with PyTorch's default count_include_pad=True (zeros counted)",
        "border outputs of the ported TF weights differ slightly from TF's",
        "v3_avg_pool",
    ),
    Difference(
        "Inception-v3", "35x35 modules",
        "the v3 paper's Fig. 5: every 5x5 replaced by two 3x3 (1x1 | 1x1-3x3 | 1x1-3x3-3x3 | pool-1x1)",
        "torchvision and timm: a 1x1 (48) -> 5x5 (64) branch besides the double 3x3 one",
        "the course builds the reference (its published weights need the 5x5)",
        "v3_5x5_branch",
    ),
    Difference(
        "Inception-v3", "stem, the layer on the 73x73x64 map",
        "the v3 paper's Table 1: a 3x3/1 conv (to 80 filters, the next row's input)",
        "torchvision and timm: a 1x1 conv to 80 (Conv2d_3b_1x1)",
        "the course builds the reference only (no config='paper' for Inception-v3)",
        "v3_stem_1x1",
    ),
    Difference(
        "Inception-v3", "stem, 71x71 -> 35x35",
        "the v3 paper's Table 1: a 3x3 conv with stride 2",
        "a 3x3 conv to 192 (73x73 -> 71x71, stride 1), then a 3x3/2 max pool (71x71 -> 35x35)",
        "the reference halves the grid with a pool, not a strided conv",
        "v3_stem_pool",
    ),
    Difference(
        "Inception-v3", "input of the 35x35 modules",
        "the v3 paper's Table 1: a further 3x3 conv makes 35x35x288",
        "no such conv: the first 35x35 module takes the stem's 35x35x192",
        "the 35x35 modules output 256, 288, 288 channels; only from the second on is the input 288",
        "v3_stem_288",
    ),
    # --- Inception-v4 ----------------------------------------------------------------------------
    Difference(
        "Inception-v4", "stem: last 3x3 conv (192 filters)",
        "Fig. 3 (AAAI Fig. 2) labels it '192 V' with no stride, yet its output is 35x35 from 71x71",
        "stride 2",
        "both configs use stride 2, the least change that gives the figure's 35x35x384",
        "v4_stem_stride",
    ),
    Difference(
        "Inception-v4, Inception-ResNet-v2", "stem: order of the factorised 7x7 (IR-v2: config='paper')",
        "Fig. 3 (AAAI Fig. 2): 1x1 (64), 7x1 (64), 1x7 (64), 3x3 (96 V)",
        "TF-slim and timm: 1x1, 1x7, 7x1, 3x3 (Mixed_4a)",
        "both configs build the reference order: the same parameters and cost, another function, "
        "and the order the published weights need",
        "v4_stem_factor_order",
    ),
    Difference(
        "Inception-v4", "Inception-C: order of the factorised 3x3 in the deep branch",
        "Fig. 6 (AAAI Fig. 3, right): 1x1 (384), 1x3 (448), 3x1 (512), then 1x3 | 3x1 (256 each)",
        "TF-slim and timm: 1x1, 3x1 (448), 1x3 (512), then 1x3 | 3x1",
        "both configs build the reference order: the same parameters and cost, another function",
        "v4_c_factor_order",
    ),
    Difference(
        "Inception-v4, Inception-ResNet-v2", "3x3 average pools at the image border (IR-v2: only in Mixed_5b)",
        "not stated; trained in TensorFlow, whose 'SAME' pooling averages only the real pixels",
        "timm: nn.AvgPool2d(count_include_pad=False), as TensorFlow",
        "both configs exclude the padding (PyTorch's default would count it)",
        "avg_pool_padding",
    ),
    Difference(
        "Inception-v4, Inception-ResNet-v1/v2", "dropout before the classifier",
        "keep probability 0.8 (Figs. 9 and 15)",
        "timm: drop_rate=0 unless asked for (TF-slim: keep 0.8)",
        "the course's builders default to dropout=0.2; no effect in eval mode",
        "dropout",
    ),
    # --- Inception-ResNet-v1 ---------------------------------------------------------------------
    Difference(
        "Inception-ResNet-v1", "reference implementation",
        "Figs. 10-15 and Table 1 (Reduction-A: k, l, m, n)",
        "none for ImageNet; only FaceNet ports (davidsandberg/facenet, facenet-pytorch)",
        "both configs build the figures: 35x35x256, 17x17x896, 8x8x1792",
        "ir_v1_reference",
    ),
    Difference(
        "Inception-ResNet-v1", "Inception-ResNet-C blocks",
        "5, all scaled and followed by ReLU",
        "FaceNet ports: 5 scaled + 1 unscaled without ReLU",
        "the course builds the paper's 5",
        "ir_v1_facenet_blocks",
    ),
    Difference(
        "Inception-ResNet-v1", "head",
        "average pool, dropout, 1000-way classifier",
        "FaceNet ports: a 128- or 512-number face embedding, L2-normalised",
        "the course builds the classifier",
        "ir_v1_facenet_head",
    ),
    # --- Inception-ResNet-v2 ---------------------------------------------------------------------
    Difference(
        "Inception-ResNet-v2", "stem",
        "Inception-v4's stem (Fig. 3, AAAI Fig. 2): 35x35x384",
        "Inception-v3 stem, max pool, then a 320-channel mixed block (Mixed_5b): 35x35x320",
        "config='paper' builds Fig. 3, config='reference' ReferenceStemV2",
        "ir_v2_stem",
    ),
    Difference(
        "Inception-ResNet-v2", "blocks (A, B, C)",
        "5 / 10 / 5 (Fig. 15, AAAI Fig. 6)",
        "10 / 20 / 10",
        "depths=(a, b, c) sets any repeats",
        "ir_v2_depths",
    ),
    Difference(
        "Inception-ResNet-v2", "last Inception-ResNet-C block",
        "like the others: scaled residual, then ReLU",
        "unscaled residual (scale 1.0) and no ReLU",
        "config='paper' keeps every C block alike",
        "ir_v2_last_block",
    ),
    Difference(
        "Inception-ResNet-v2", "Inception-ResNet-A 1x1 expansion",
        "384 (Fig. 16), the depth of the Fig. 3 stem",
        "320, the depth of its own stem",
        "the expansion always equals the block's input depth",
        "ir_v2_expand_a",
    ),
    Difference(
        "Inception-ResNet-v2", "Inception-ResNet-B 1x1 expansion",
        "1154 (Fig. 17), but Reduction-A delivers 3 x 384 = 1152",
        "1088 (= 384 + 384 + 320)",
        "config='paper' builds 1152: a residual sum needs equal depths",
        "ir_v2_expand_b",
    ),
    Difference(
        "Inception-ResNet-v2", "Inception-ResNet-C 1x1 expansion",
        "2048 (Fig. 19), but Reduction-B delivers 384 + 288 + 320 + 1154 = 2146 (2144 from 1152)",
        "2080 (= 384 + 288 + 320 + 1088)",
        "config='paper' builds 2144",
        "ir_v2_expand_c",
    ),
    Difference(
        "Inception-ResNet-v2", "after the last block",
        "nothing: the blocks' output goes to the average pool",
        "a 1x1 conv + BN + ReLU to 1536 channels (conv2d_7b)",
        "config='paper' classifies 2144 features, config='reference' 1536",
        "ir_v2_final_conv",
    ),
    Difference(
        "Inception-ResNet-v1/v2", "residual scaling",
        "'between 0.1 and 0.3' (section 3.3), no value per block",
        "0.17 / 0.10 / 0.20 for the A / B / C blocks",
        "both configs default to the reference values; residual_scale= changes them",
        "residual_scale",
    ),
    Difference(
        "Inception-ResNet-v2", "parameters (1000 classes)",
        "32,433,928 as config='paper' builds it",
        "55,843,464",
        "the reference is deeper (10/20/10 blocks) and ends in the 1536-channel conv",
        "ir_v2_params",
    ),
]

FORMATS = ("text", "markdown", "html")
_COLUMNS = ("network", "what", "paper", "reference", "note")


def differences(network: str | None = None) -> list[Difference]:
    """The rows whose network name contains ``network`` (case-insensitive), or all rows."""
    if network is None:
        return list(DIFFERENCES)
    return [row for row in DIFFERENCES if network.lower() in row.network.lower()]


def render_differences(fmt: str = "text", network: str | None = None) -> str:
    """The table as plain text, a Markdown table or an HTML table (no pandas needed).

    ``network`` keeps only the rows for that network (e.g. ``"ResNet-v2"``).
    """
    rows = differences(network)
    if fmt == "text":
        return "\n\n".join(_as_text(row) for row in rows)
    if fmt == "markdown":
        lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        for row in rows:
            lines.append("| " + " | ".join(getattr(row, c).replace("|", "\\|") for c in _COLUMNS) + " |")
        return "\n".join(lines)
    if fmt == "html":
        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(getattr(row, c))}</td>" for c in _COLUMNS)
            + "</tr>"
            for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")


def _as_text(row: Difference, width: int = 100) -> str:
    lines = [f"{row.network}: {row.what}"]
    for label in ("paper", "reference", "note"):
        lines.append(textwrap.fill(getattr(row, label), width, initial_indent=f"  {label + ':':<11}",
                                   subsequent_indent=" " * 13))
    return "\n".join(lines)
