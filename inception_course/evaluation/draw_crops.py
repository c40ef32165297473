"""Lesson 9's pictures of the test-time crops: the boxes of each scheme drawn on the photo, and the
views themselves. The boxes come from :func:`~.crops.crop_boxes`, which a test holds equal to what
:func:`~.crops.crops` cuts, so the picture cannot drift from the evaluation.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..data.transforms import DEFAULT_IMAGE_SIZE
from .crops import crop_boxes, resized_shape, scales_for

VIEW_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right", "centre", "whole square")
CROP_COLOURS = ("red", "orange", "magenta", "cyan", "yellow")  # the five cut crops of a square
SQUARE_COLOURS = ("red", "white", "cyan")                       # the three squares of the 144 scheme


def painted_landscape(height: int = 360, width: int = 480) -> torch.Tensor:
    """A 'photo' drawn with numpy (sky, hills, a sun and a house), for a lesson that cannot download
    one: float ``(3, height, width)`` in [-1, 1], the course's value range."""
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    rgb = np.stack([0.45 + 0.4 * y, 0.65 + 0.25 * y, 0.95 - 0.2 * y])          # sky, lighter at the horizon
    hills = y > 0.62 + 0.08 * np.sin(7 * x)
    rgb[:, hills] = np.array([[0.25], [0.55], [0.2]]) * (1.2 - 0.4 * y[hills])  # green hills
    sun = (x - 0.8) ** 2 * (width / height) ** 2 + (y - 0.2) ** 2 < 0.07 ** 2
    rgb[:, sun] = np.array([[1.0], [0.85], [0.3]])
    wall = (abs(x - 0.3) < 0.08) & (y > 0.5) & (y < 0.72)
    roof = (y <= 0.5) & (y > 0.38) & (abs(x - 0.3) < 0.1 * (y - 0.38) / 0.12)
    rgb[:, wall] = np.array([[0.8], [0.3], [0.25]])
    rgb[:, roof] = np.array([[0.35], [0.2], [0.15]])
    return torch.from_numpy(rgb).float() * 2 - 1


def show_image(image: torch.Tensor, ax: Axes | None = None, title: str = "") -> Axes:
    """Show a ``(3, H, W)`` image in [-1, 1] without ticks."""
    ax = ax or plt.gca()
    ax.imshow(((image.detach().cpu().permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy())
    ax.set(title=title, xticks=[], yticks=[])
    return ax


def _box(ax: Axes, image: torch.Tensor, scale: int, top: int, left: int, size: int, **style) -> None:
    """Draw a square given in the pixels of ``image`` resized to shorter side ``scale`` on ``image``."""
    height, width = image.shape[-2:]
    resized_height, resized_width = resized_shape(height, width, scale)
    fy, fx = resized_height / height, resized_width / width
    ax.add_patch(Rectangle((left / fx, top / fy), size / fx, size / fy, fill=False, lw=1.5, **style))


def _panels(schemes: Sequence[str], crop_size: int) -> list[tuple[str, int | None]]:
    """One panel per scheme, four for ``"144"`` (one per scale)."""
    return [(scheme, scale) for scheme in schemes
            for scale in (scales_for(crop_size) if scheme == "144" else (None,))]


def draw_crops(image: torch.Tensor, schemes: str | Sequence[str] = ("single", "12"), crop_size: int | None = None) -> Figure:
    """The boxes of each scheme on ``image``: the single crop; the 12 crops (the central square
    dashed white, its five cut crops in colour); for 144, one panel per scale with its three
    squares and (dotted) each square's centre crop."""
    schemes = (schemes,) if isinstance(schemes, str) else tuple(schemes)
    crop_size = crop_size or DEFAULT_IMAGE_SIZE
    height, width = image.shape[-2:]
    panels = _panels(schemes, crop_size)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.4), squeeze=False, constrained_layout=True)
    for ax, (scheme, scale) in zip(axes.flat, panels):
        boxes = crop_boxes(height, width, scheme, crop_size)
        if scheme == "single":
            box = boxes[0]
            show_image(image, ax, f"single crop: shorter side {box.scale}, central {crop_size}x{crop_size}")
            _box(ax, image, *box[:4], color="yellow")
        elif scheme == "12":
            show_image(image, ax, f"12 crops: shorter side {boxes[0].scale}, central square (white)")
            _box(ax, image, *boxes[5][:4], color="white", ls="--")
            for box, colour in zip(boxes[:5], CROP_COLOURS):
                _box(ax, image, *box[:4], color=colour)
        else:
            show_image(image, ax, f"shorter side {scale}: crop = {crop_size / scale:.0%} of a square")
            at_scale = [box for box in boxes if box.scale == scale]
            for square, colour in zip(range(0, len(at_scale), 6), SQUARE_COLOURS):
                _box(ax, image, *at_scale[square + 5][:4], color=colour)
                _box(ax, image, *at_scale[square + 4][:4], color=colour, ls=":")
    return fig


def show_views(views: torch.Tensor, titles: Sequence[str] | None = None, columns: int = 6) -> Figure:
    """A grid of views ``(N, 3, s, s)``; by default titled as the 12 scheme orders them (the six
    of :data:`VIEW_NAMES`, then their mirrors)."""
    if titles is None:
        titles = [VIEW_NAMES[i % 6] + (" (mirror)" if i >= 6 else "") for i in range(len(views))]
    rows = -(-len(views) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), squeeze=False, constrained_layout=True)
    for ax in axes.flat[len(views):]:
        ax.axis("off")
    for ax, view, title in zip(axes.flat, views, titles):
        show_image(view, ax, title)
    return fig
