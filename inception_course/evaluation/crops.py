"""Test-time crops: the single central crop, the 12-crop and the 144-crop schemes.

One generator, :func:`crops`, turns one *un-cropped* image tensor ``(C, H, W)`` into a stack of
square views ``(N, C, s, s)`` that the network scores; :func:`~inception_course.evaluation.evaluate`
then averages the softmax over the N views.

The schemes
-----------
``"single"`` (N = 1)
    Resize the shorter side to ``int(s / crop_fraction)`` and cut the central ``s x s`` square
    (``crop_fraction`` 0.875: 224 of 256, 299 of 341), the geometry of
    :func:`inception_course.data.transforms_for` on a tensor. This is the protocol of the paper's single-crop Table 2 (AAAI Table 1).

``"144"`` (N = 144), from the GoogLeNet paper (Szegedy et al. 2015, "Going deeper with
convolutions", section 7), which the Inception-v4 paper's 144-crop and ensemble Tables 4 and 5 (AAAI 3 and 4) cite:
    4 scales x 3 squares x 6 crops x 2 mirrors.

    * scales: the shorter side resized to 256, 288, 320 and 352 pixels for a 224 crop; for another
      crop size ``s`` the same ratios, ``round(s * k / 224)`` (342, 384, 427, 470 for 299);
    * squares: the left, centre and right squares of the resized image (top, centre and bottom for
      a portrait image), whose side is the shorter side;
    * crops of each square: its 4 corner ``s x s`` crops, its central ``s x s`` crop, and the whole
      square resized to ``s x s``;
    * mirrors: every view and its horizontal mirror.

``"12"`` (N = 12)
    The Inception-v4 paper (Table 3, AAAI Table 2) uses "the 12-crop evaluation as described in" the GoogLeNet
    paper, which never defines 12 crops (its tables use 1, 10 and 144). We take **one square of the
    144 scheme**: the smallest scale (shorter side 256 for a 224 crop, the size of the single-crop
    protocol), the central square, its 6 crops and their 6 mirrors. That is the classic 10-crop
    evaluation of AlexNet (Krizhevsky et al. 2012: 4 corners + centre, and mirrors, which the
    GoogLeNet paper's "10 crops" rows also use) plus the whole-square view and its mirror, the one
    crop type the GoogLeNet paper adds; so 12 = 6 x 2 falls out of the 144 scheme's own unit.

Order of the views: the 144 (or 12) views come as all un-mirrored views first, in the order
scale -> square -> [top-left, top-right, bottom-left, bottom-right, centre, whole square], followed
by their mirrors in the same order (so ``views[n // 2 + i]`` is ``views[i]`` flipped left-right).

Input: the image must be the whole image (not already cropped), as a float tensor, usually in the
course's [-1, 1] range; the crops are pure geometry and keep the value range. Resizing is bilinear
by default; ``interpolation="bicubic"`` matches the preprocessing of the TF-ported weights.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

from ..data.transforms import DEFAULT_CROP_FRACTION, DEFAULT_IMAGE_SIZE

GOOGLENET_CROP = 224
GOOGLENET_SCALES = (256, 288, 320, 352)  # shorter side for a 224 crop (GoogLeNet paper, section 7)
SCHEMES = {"single": 1, "12": 12, "144": 144}  # scheme -> number of views per image


def scales_for(crop_size: int) -> tuple[int, ...]:
    """The four shorter-side sizes of the 144 scheme for ``crop_size`` (256..352 scaled from 224)."""
    return tuple(round(crop_size * scale / GOOGLENET_CROP) for scale in GOOGLENET_SCALES)


def resized_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """``(height, width)`` after :func:`resize_shorter_side` brings the shorter side to ``size``."""
    if min(height, width) == size:
        return height, width
    if height <= width:
        return size, max(size, round(width * size / height))
    return max(size, round(height * size / width)), size


def resize_shorter_side(image: torch.Tensor, size: int, interpolation: str = "bilinear") -> torch.Tensor:
    """Resize ``(C, H, W)`` so that its shorter side is ``size``, keeping the aspect ratio."""
    height, width = image.shape[-2:]
    if min(height, width) == size:
        return image
    return TF.resize(image, list(resized_shape(height, width, size)), InterpolationMode(interpolation), antialias=True)


def _squares(image: torch.Tensor) -> list[torch.Tensor]:
    """Left, centre and right squares of a landscape image (top, centre, bottom of a portrait one)."""
    height, width = image.shape[-2:]
    side = min(height, width)
    extra = max(height, width) - side
    offsets = (0, extra // 2, extra)
    if width >= height:
        return [image[..., :, x : x + side] for x in offsets]
    return [image[..., y : y + side, :] for y in offsets]


def _six_crops(square: torch.Tensor, crop_size: int, interpolation: str) -> list[torch.Tensor]:
    """4 corners, centre, and the whole square resized, each ``crop_size`` x ``crop_size``."""
    side = square.shape[-1]
    far = side - crop_size
    mid = far // 2
    corners_and_centre = [(0, 0), (0, far), (far, 0), (far, far), (mid, mid)]
    views = [square[..., y : y + crop_size, x : x + crop_size] for y, x in corners_and_centre]
    if side == crop_size:
        return views + [square]
    whole = TF.resize(square, [crop_size, crop_size], InterpolationMode(interpolation), antialias=True)
    return views + [whole]


def central_crop(
    image: torch.Tensor, crop_size: int, crop_fraction: float = DEFAULT_CROP_FRACTION, interpolation: str = "bilinear"
) -> torch.Tensor:
    """Shorter side to ``int(crop_size / crop_fraction)``, then the central square: ``(C, s, s)``."""
    if not 0 < crop_fraction <= 1:
        raise ValueError(f"crop_fraction must be in (0, 1], got {crop_fraction}")
    resized = resize_shorter_side(image, int(crop_size / crop_fraction), interpolation)
    height, width = resized.shape[-2:]
    top, left = (height - crop_size) // 2, (width - crop_size) // 2
    return resized[..., top : top + crop_size, left : left + crop_size]


def crops(
    image: torch.Tensor,
    scheme: str = "single",
    crop_size: int | None = None,
    crop_fraction: float = DEFAULT_CROP_FRACTION,
    interpolation: str = "bilinear",
) -> torch.Tensor:
    """The views of one un-cropped image ``(C, H, W)`` under ``scheme``: ``(N, C, s, s)``.

    ``scheme`` is ``"single"``, ``"12"`` or ``"144"`` (see the module docstring for the geometry);
    ``crop_size`` defaults to 299 (224 suits GoogLeNet and BN-Inception: pass the model's
    ``default_image_size``); ``crop_fraction`` only affects ``"single"``; ``interpolation`` is
    ``"bilinear"`` or ``"bicubic"``.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown crop scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    if not isinstance(image, torch.Tensor) or image.dim() != 3 or not image.is_floating_point():
        got = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(
            f"crops() takes one float image tensor (C, H, W), got {got}: convert a PIL image with "
            "inception_course.evaluation.raw_image_transform() and pass images one at a time"
        )
    crop_size = crop_size or DEFAULT_IMAGE_SIZE
    if scheme == "single":
        return central_crop(image, crop_size, crop_fraction, interpolation).unsqueeze(0)
    scales = scales_for(crop_size)[:1] if scheme == "12" else scales_for(crop_size)
    views = []
    for scale in scales:
        squares = _squares(resize_shorter_side(image, scale, interpolation))
        if scheme == "12":
            squares = squares[1:2]  # the central square only
        for square in squares:
            views.extend(_six_crops(square, crop_size, interpolation))
    stacked = torch.stack(views)
    return torch.cat([stacked, stacked.flip(-1)])


class CropBox(NamedTuple):
    """Where one view of :func:`crops` comes from: the square ``[top, top + size) x [left, left +
    size)`` of the image resized to shorter side ``scale``; ``squeezed`` when that square is
    resized to the crop size (the whole-square view) rather than cut out as it is."""

    scale: int
    top: int
    left: int
    size: int
    squeezed: bool = False


def crop_boxes(
    height: int, width: int, scheme: str = "single", crop_size: int | None = None,
    crop_fraction: float = DEFAULT_CROP_FRACTION,
) -> list[CropBox]:
    """The boxes behind the un-mirrored views of ``crops(image, scheme, crop_size)`` for an image of
    ``height x width``, in the same order (the mirrors, the second half of the views, reuse them).
    Geometry only: it is what lesson 9 draws, and a test cuts every box out and compares it with
    the view :func:`crops` returns."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown crop scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    crop_size = crop_size or DEFAULT_IMAGE_SIZE
    if scheme == "single":
        scale = int(crop_size / crop_fraction)
        resized_height, resized_width = resized_shape(height, width, scale)
        return [CropBox(scale, (resized_height - crop_size) // 2, (resized_width - crop_size) // 2, crop_size)]
    boxes = []
    for scale in scales_for(crop_size)[:1] if scheme == "12" else scales_for(crop_size):
        resized_height, resized_width = resized_shape(height, width, scale)
        side = min(resized_height, resized_width)
        extra = max(resized_height, resized_width) - side
        offsets = (extra // 2,) if scheme == "12" else (0, extra // 2, extra)
        for offset in offsets:
            top, left = (0, offset) if resized_width >= resized_height else (offset, 0)
            far, mid = side - crop_size, (side - crop_size) // 2
            for y, x in [(0, 0), (0, far), (far, 0), (far, far), (mid, mid)]:
                boxes.append(CropBox(scale, top + y, left + x, crop_size))
            boxes.append(CropBox(scale, top, left, side, squeezed=side != crop_size))
    return boxes
