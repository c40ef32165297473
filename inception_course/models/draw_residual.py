"""ResNet's two residual blocks side by side - identity and projection shortcut - drawn bottom-up in
the style of :mod:`.draw` (lesson 5's primer; ``python tools/figures.py residual_blocks``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from .draw import COLORS, FONT_SIZE

# (label, colour) of the residual path, bottom-up; the shortcut joins at the sum.
_RESIDUAL = [("3x3 Conv, BN, ReLU", "conv"), ("3x3 Conv, BN", "conv")]


def _box(ax: Axes, x: float, y: float, text: str, kind: str, width: float = 1.9) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.17), width, 0.34, boxstyle="round,pad=0.02",
                                facecolor=COLORS[kind], edgecolor="black", linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "linewidth": 0.8})


def _block(ax: Axes, shortcut: str | None, title: str, shape_in: str, shape_out: str) -> None:
    """One block: input, the residual path, the sum (shortcut drawn on the left), ReLU, output."""
    rows = [("Input  " + shape_in, "other"), *_RESIDUAL, ("+", "sum"), ("ReLU", "conv"), ("Output  " + shape_out, "other")]
    ys = [0.5 + 0.75 * i for i in range(len(rows))]
    for (text, kind), y in zip(rows, ys):
        _box(ax, 1.6, y, text, kind, width=0.5 if text == "+" else 1.9)
    for low, high in zip(ys, ys[1:]):
        _arrow(ax, (1.6, low + 0.17), (1.6, high - 0.17))
    y_sum, lane = ys[3], -0.3  # the shortcut runs up a lane left of the residual path
    ax.plot([0.65, lane, lane], [ys[0], ys[0], y_sum], color="black", linewidth=0.8)
    _arrow(ax, (lane, y_sum), (1.35, y_sum))
    if shortcut is None:
        ax.text(lane - 0.1, (ys[0] + y_sum) / 2, "identity\n(no parameters)", ha="right", va="center", fontsize=FONT_SIZE)
    else:
        _box(ax, lane, (ys[1] + ys[2]) / 2, shortcut, "pool", width=1.6)
    ax.set_title(title, fontsize=FONT_SIZE + 2)
    ax.set_xlim(-1.6, 2.7)
    ax.set_ylim(0, ys[-1] + 0.5)
    ax.set_axis_off()


def draw_residual_blocks() -> Figure:
    """ResNet's basic block with an identity shortcut (same shape in and out) beside the one with a
    projection shortcut (a strided 1x1 conv with BN, when the channels or the grid change)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4.4))
    _block(left, None, "identity shortcut: y = relu(F(x) + x)", "64 x 56 x 56", "64 x 56 x 56")
    _block(right, "1x1 Conv stride 2, BN", "projection shortcut: y = relu(F(x) + W x)", "64 x 56 x 56", "128 x 28 x 28")
    return fig
