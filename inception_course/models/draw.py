"""Draw blocks and networks the way the paper draws them, from the modules themselves.

:func:`draw` reads a block's ``branches`` (see :mod:`.layers`) and turns each layer into a box
labelled in the paper's words - ``"1x7 Conv (224)"``, ``"3x3 Conv (96 stride 2 V)"`` ('V' = valid
padding: the layer shrinks the grid), ``"3x3 MaxPool (stride 2 V)"``, ``"Avg Pooling"``. Like the
paper's figures, data flows bottom-up: the input at the bottom, one column per branch, and the merge
on top - "Filter concat" for an :class:`~.layers.InceptionBlock`, or for a
:class:`~.layers.ResidualInceptionBlock` the linear 1x1 expansion, the scaled sum with the shortcut
drawn on the left, and the ReLU. A chain of layers and blocks (an ``nn.Sequential`` such as a stem)
is drawn as a column with the blocks nested in it.

:func:`draw_network` draws a whole network as the paper's overall schema (Fig. 9 / Fig. 15):
one box per stage, repeated blocks grouped as "4 x Inception-A", with each stage's output shape.

Because the pictures come from the code, a lesson's figure cannot drift from the model it shows.
Only matplotlib is used (no graphviz or other system binaries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from torch import nn

from .describe import describe
from .layers import ConvBNReLU, InceptionBlock, ResidualInceptionBlock

Point = tuple[float, float]

# Layout in inches (the figure is sized to fit, so one data unit is one inch on the page).
FONT_SIZE = 8
CHAR_WIDTH = 0.06  # a generous average glyph width at FONT_SIZE, in inches
BOX_HEIGHT = 0.32
BOX_PADDING = 0.22
ROW_GAP = 0.3  # vertical room for an arrow between two boxes
COLUMN_GAP = 0.18
SHORTCUT_LANE = 0.35  # room left of a residual block for its shortcut

COLORS = {"conv": "#dbe9f6", "pool": "#fde4c8", "merge": "#e6e6e6", "sum": "#d9f0d3", "other": "#ffffff"}


# --- labels -----------------------------------------------------------------------------------


def paper_name(class_name: str) -> str:
    """``"InceptionResNetA"`` -> ``"Inception-ResNet-A"``, ``"ReductionB"`` -> ``"Reduction-B"``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])(?!Net)", "-", class_name)


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[-1])


def _size(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _shrinks(kernel: tuple[int, int], padding: int | tuple[int, ...] | str) -> bool:
    """True when the padding is too small to keep the grid size: the paper's 'V' (valid)."""
    if isinstance(padding, str):
        return padding == "valid" and max(kernel) > 1
    return any(2 * p < k - 1 for k, p in zip(kernel, _pair(padding)))


def _options(*parts: str | None) -> str:
    words = [p for p in parts if p]
    return f" ({' '.join(words)})" if words else ""


def _conv_label(conv: nn.Conv2d, linear: bool) -> str:
    kernel = _pair(conv.kernel_size)
    stride = _pair(conv.stride)
    return f"{kernel[0]}x{kernel[1]} Conv" + _options(
        str(conv.out_channels),
        f"stride {_size(stride)}" if stride != (1, 1) else None,
        "V" if _shrinks(kernel, conv.padding) else None,
        "Linear" if linear else None,
    )


def _pool_label(pool: nn.MaxPool2d | nn.AvgPool2d) -> str:
    kernel, stride = _pair(pool.kernel_size), _pair(pool.stride)
    options = _options(
        f"stride {_size(stride)}" if stride != (1, 1) else None,
        # ceil mode (GoogLeNet) pads the far edge as needed: not the paper's 'V'
        "V" if _shrinks(kernel, pool.padding) and not pool.ceil_mode else None,
    )
    if isinstance(pool, nn.AvgPool2d) and not options:
        return "Avg Pooling"  # the paper leaves out the size of the grid-preserving average pool
    name = "MaxPool" if isinstance(pool, nn.MaxPool2d) else "Avg Pooling"
    return f"{kernel[0]}x{kernel[1]} {name}{options}"


def layer_label(layer: nn.Module) -> tuple[str, str] | None:
    """``(label, colour key)`` of a single layer, or ``None`` for layers the paper does not draw
    (identity, flatten). Conv-BN-ReLU units are one box, as in the paper; a bare conv is linear."""
    if isinstance(layer, ConvBNReLU):
        return _conv_label(layer.conv, linear=False), "conv"
    if isinstance(layer, nn.Conv2d):
        return _conv_label(layer, linear=True), "conv"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        return _pool_label(layer), "pool"
    if isinstance(layer, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "Global " + ("Avg" if isinstance(layer, nn.AdaptiveAvgPool2d) else "Max") + " Pooling", "pool"
    if isinstance(layer, nn.Linear):
        return f"FC ({layer.out_features})", "conv"
    if isinstance(layer, nn.Dropout):
        return f"Dropout (keep {1 - layer.p:g})", "other"  # the paper gives the keep probability
    if isinstance(layer, nn.ReLU):
        return "ReLU", "other"
    if isinstance(layer, nn.BatchNorm2d):
        return "BatchNorm", "other"
    if isinstance(layer, (nn.Identity, nn.Flatten)):
        return None
    return type(layer).__name__, "other"


# --- layout: boxes, columns and branches -------------------------------------------------------
# Each node knows its size and draws itself at (x = centre, y = bottom), drawing the arrows that
# come in from ``source`` (the point the previous node ends at) and returning the point it ends at.


@dataclass
class _Box:
    """A labelled box; ``note`` is written to its right (a network's stage output shapes)."""

    label: str
    color: str = "other"
    note: str = ""

    @property
    def width(self) -> float:
        return CHAR_WIDTH * len(self.label) + BOX_PADDING

    @property
    def height(self) -> float:
        return BOX_HEIGHT

    def render(self, ax: Axes, x: float, y: float, source: Point | None) -> Point:
        ax.add_patch(
            FancyBboxPatch(
                (x - self.width / 2, y), self.width, self.height,
                boxstyle="round,pad=0,rounding_size=0.05", facecolor=COLORS[self.color], edgecolor="#333333", lw=0.8,
            )
        )
        ax.text(x, y + self.height / 2, self.label, ha="center", va="center", fontsize=FONT_SIZE)
        if self.note:
            ax.text(x + self.width / 2 + 0.1, y + self.height / 2, self.note, ha="left", va="center",
                    fontsize=FONT_SIZE, color="#555555")
        if source is not None:
            _arrow(ax, [source, (x, y)])
        return (x, y + self.height)


@dataclass
class _Column:
    """Nodes one above the other, each feeding the next."""

    items: list

    @property
    def width(self) -> float:
        return max(item.width for item in self.items)

    @property
    def height(self) -> float:
        return sum(item.height for item in self.items) + ROW_GAP * (len(self.items) - 1)

    def render(self, ax: Axes, x: float, y: float, source: Point | None) -> Point:
        for item in self.items:
            source = item.render(ax, x, y, source)
            y += item.height + ROW_GAP
        return source


@dataclass
class _Branches:
    """Parallel columns fed by the same input and merged by ``merge`` (a column on top).

    With ``shortcut_to`` the input also goes round the branches (on the left) to ``merge``'s box
    number ``shortcut_to`` (the residual "+").
    """

    branches: list
    merge: _Column
    shortcut_to: int | None = None

    @property
    def lane(self) -> float:
        return SHORTCUT_LANE if self.shortcut_to is not None else 0.0

    @property
    def branch_width(self) -> float:
        return sum(b.width for b in self.branches) + COLUMN_GAP * (len(self.branches) - 1)

    @property
    def width(self) -> float:
        return self.lane + max(self.branch_width, self.merge.width)

    @property
    def height(self) -> float:
        return max(b.height for b in self.branches) + ROW_GAP + self.merge.height

    def render(self, ax: Axes, x: float, y: float, source: Point | None) -> Point:
        left = x - self.width / 2 + self.lane
        left += (self.width - self.lane - self.branch_width) / 2  # centre the branches in their area
        merge_y = y + max(b.height for b in self.branches) + ROW_GAP
        tops = []
        for branch in self.branches:
            tops.append(branch.render(ax, left + branch.width / 2, y, source))
            left += branch.width + COLUMN_GAP
        merge_x = x + self.lane / 2
        reach = self.merge.items[0].width / 2 - 0.05  # arrows may land anywhere on the merge box
        for top_x, top_y in tops:
            # straight up to just below the merge, then into the box, so no arrow crosses a box
            land_x = min(max(top_x, merge_x - reach), merge_x + reach)
            _arrow(ax, [(top_x, top_y), (top_x, merge_y - ROW_GAP / 2), (land_x, merge_y)])
        end = self.merge.render(ax, merge_x, merge_y, None)
        if self.shortcut_to is not None and source is not None:
            target = self.merge.items[self.shortcut_to]
            box_y = merge_y + sum(item.height + ROW_GAP for item in self.merge.items[: self.shortcut_to])
            lane_x = x - self.width / 2 + self.lane / 3
            mid = box_y + target.height / 2
            _arrow(ax, [source, (lane_x, source[1] + ROW_GAP / 2), (lane_x, mid), (merge_x - target.width / 2, mid)])
        return end


def _arrow(ax: Axes, points: list[Point]) -> None:
    """A polyline from the first point to the last with an arrow head at the end."""
    xs, ys = zip(*points)
    ax.plot(xs, ys, color="#333333", lw=0.8, solid_capstyle="round")
    ax.annotate(
        "", xy=points[-1], xytext=points[-2],
        arrowprops=dict(arrowstyle="-|>", color="#333333", lw=0.8, shrinkA=0, shrinkB=0, mutation_scale=8),
    )


def _node(module: nn.Module):
    """The layout node of ``module`` (``None`` when there is nothing to draw)."""
    if isinstance(module, (InceptionBlock, ResidualInceptionBlock)):
        branches = [_node(branch) or _Box("Identity") for branch in module.branches]
        if isinstance(module, InceptionBlock):
            return _Branches(branches, _Column([_Box("Filter concat", "merge")]))
        merge = [_Box(_conv_label(module.up, linear=True), "conv"), _Box(f"+ (scale {module.scale:g})", "sum")]
        if isinstance(module.act, nn.ReLU):
            merge.append(_Box("ReLU", "other"))
        return _Branches(branches, _Column(merge), shortcut_to=1)
    children = list(module.children())
    if isinstance(module, ConvBNReLU) or not children:
        label = layer_label(module)
        return _Box(*label) if label is not None else None
    # Any other container is read as a chain of its children in registration order, which the
    # course's modules keep equal to forward order (docs/architecture.md).
    items = [node for node in map(_node, children) if node is not None]
    if not items:
        return None
    return items[0] if len(items) == 1 else _Column(items)


def _figure(root, ax: Axes | None, title: str | None) -> Figure:
    """Render ``root`` into ``ax`` (a new figure sized to fit when ``ax`` is None)."""
    margin = 0.15
    notes = [item.note for item in getattr(root, "items", []) if getattr(item, "note", "")]
    right = margin + (0.1 + CHAR_WIDTH * max(map(len, notes)) if notes else 0.0)
    if ax is None:
        title_room = 0.35 if title else 0.0
        height = root.height + 2 * margin
        fig = plt.figure(figsize=(root.width + margin + right, height + title_room))
        ax = fig.add_axes((0, 0, 1, height / (height + title_room)))  # fill the figure: 1 unit = 1 inch
    root.render(ax, root.width / 2, 0.0, None)
    ax.set_xlim(-margin, root.width + right)
    ax.set_ylim(-margin, root.height + margin)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 2)
    return ax.figure


# --- public -----------------------------------------------------------------------------------


def draw(block: nn.Module, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Draw ``block`` bottom-up as the paper does and return the matplotlib figure.

    ``block`` is an Inception block (concatenating or residual), a single layer, or a chain of
    them (an ``nn.Sequential`` such as a stem; nested blocks become nested columns). ``title``
    defaults to the block's paper name (``InceptionResNetB`` -> "Inception-ResNet-B"). With ``ax``
    the picture goes into that axes (its figure is returned) and is not resized to fit.
    Save with ``fig.savefig("block.png", dpi=150, bbox_inches="tight")``.
    """
    if not isinstance(block, nn.Module):
        raise ValueError(f"draw expects an nn.Module (a block or a chain of layers), got {type(block).__name__}")
    if hasattr(block, "forward_features"):
        raise ValueError(
            f"{type(block).__name__} is a whole network: draw its overall schema with draw_network(model),"
            " or one of its blocks with draw(model.<block name>)"
        )
    node = _node(block)
    if node is None:
        raise ValueError(f"{type(block).__name__} has no layer that can be drawn")
    root = _Column([_Box("Input", "other"), node])
    return _figure(root, ax, paper_name(type(block).__name__) if title is None else title)


def draw_network(model: nn.Module, image_size: int | tuple[int, int] | None = None, ax: Axes | None = None) -> Figure:
    """Draw a network's overall schema bottom-up: input, stem, "4 x Inception-A", ..., classifier.

    The stages are the model's children in the order they run on an ``image_size`` input (default:
    the model's ``default_image_size``, else 299); a plain ``nn.Sequential`` of blocks is opened
    into its blocks, consecutive blocks of the same class are grouped as "N x Name", and each box
    has the stage's output shape (C x H x W) beside it. Stages that do not run in eval mode
    (auxiliary classifiers) are left out, as the paper's schemas leave them out.
    """
    size = image_size if image_size is not None else getattr(model, "default_image_size", 299)
    stages = _network_stages(model, size)
    groups: list[list] = []  # [module, stage, count, shape]
    for module, stage, shape in stages:
        if groups and _is_block(module) and type(groups[-1][0]) is type(module):
            groups[-1][2:] = [groups[-1][2] + 1, shape]
        else:
            groups.append([module, stage, 1, shape])
    height, width = (size, size) if isinstance(size, int) else size
    boxes = [_Box("Input", "other", note=f"{getattr(model, 'in_chans', 3)} x {height} x {width}")]
    for module, stage, count, shape in groups:
        label = _stage_label(module, stage)
        if label is not None:
            text, color = label
            boxes.append(_Box(f"{count} x {text}" if count > 1 else text, color, note=" x ".join(map(str, shape))))
    return _figure(_Column(boxes), ax, type(model).__name__)


def _network_stages(model: nn.Module, size: int | tuple[int, int]) -> list[tuple[nn.Module, str, tuple[int, ...]]]:
    """(module, name, output shape) of each stage that runs, in forward order, chains of blocks opened."""
    top, inner = describe(model, size), describe(model, size, depth=2)
    stages = []
    for row in top.rows:
        if row.shape is None:  # did not run in eval mode
            continue
        module = model.get_submodule(row.stage)
        if type(module) is nn.Sequential and all(_is_block(m) for m in module):
            prefix = row.stage + "."
            inside = [r for r in inner.rows if r.stage.startswith(prefix)]
            stages += [(model.get_submodule(r.stage), r.stage, r.shape) for r in inside]
        else:
            stages.append((module, row.stage, row.shape))
    return stages


def _is_block(module: nn.Module) -> bool:
    return isinstance(module, (InceptionBlock, ResidualInceptionBlock))


def _stage_label(module: nn.Module, stage: str) -> tuple[str, str] | None:
    if isinstance(module, ConvBNReLU) or not list(module.children()):
        return layer_label(module)
    if type(module) is nn.Sequential:  # a plain chain is known by its attribute name: "stem" -> "Stem"
        return stage.split(".")[-1].replace("_", " ").capitalize(), "merge"
    return paper_name(type(module).__name__), "merge"
