"""Lesson 9's exercise: the 144-crop test-time views of one image.

The student writes ``crops_144(image, crop_size)`` for one un-cropped ``(C, H, W)`` image and
returns the 144 views (a tensor ``(144, C, s, s)`` or a list of ``(C, s, s)`` tensors). The
checker compares them, in any order, with :func:`inception_course.evaluation.crops.crops` on a
landscape and a portrait image, and names the views that are missing - by scale, square, crop and
mirror - so the student sees which part of "4 scales x 3 squares x 6 crops x 2 mirrors" is wrong.
A third image with another crop size catches sizes typed in. Calling the library's ``crops`` is
refused; ``scales_for`` and ``resize_shorter_side`` are the exercise's givens.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..evaluation.crops import crops, resize_shorter_side, scales_for
from .authorship import refuse_library
from .compare import run, shape_of
from .result import Report, checker

CROP_SIZE = 32  # small, so that the check runs in a blink; the geometry is the same at 299
IMAGES = (("landscape", (3, 40, 56), CROP_SIZE), ("portrait", (3, 56, 40), CROP_SIZE), ("landscape", (3, 30, 45), 24))
CROP_NAMES = (
    "top-left corner", "top-right corner", "bottom-left corner", "bottom-right corner", "centre", "whole square",
)


def _describe_view(index: int, portrait: bool, crop_size: int) -> str:
    """Words for view ``index`` of the library's order (scale -> square -> crop, then mirrors)."""
    per_scale, unmirrored = 18, 72
    mirrored, rest = divmod(index, unmirrored)
    scale, rest = divmod(rest, per_scale)
    square, crop = divmod(rest, 6)
    squares = ("top", "centre", "bottom") if portrait else ("left", "centre", "right")
    words = f"shorter side {scales_for(crop_size)[scale]} px, {squares[square]} square, {CROP_NAMES[crop]}"
    return words + (", mirrored" if mirrored else "")


def _as_views(output: object) -> torch.Tensor | None:
    """The student's views as one ``(N, C, s, s)`` tensor, or ``None`` when that is impossible."""
    if isinstance(output, torch.Tensor):
        return output if output.dim() == 4 else None
    if isinstance(output, (list, tuple)) and output and all(isinstance(v, torch.Tensor) for v in output):
        shapes = {tuple(v.shape) for v in output}
        return torch.stack(list(output)) if len(shapes) == 1 and len(next(iter(shapes))) == 3 else None
    return None


def _check_image(
    report: Report, student_fn: Callable[..., object], image: torch.Tensor, name: str, crop_size: int
) -> None:
    portrait = image.shape[-2] > image.shape[-1]
    name = f"{name} image {shape_of(image)} with crop_size={crop_size}"
    expected = crops(image, "144", crop_size)
    output, error = run(student_fn, image.clone(), crop_size)
    if error is not None:
        report.fail(f"crops_144 on a {name} raised {error}")
        return
    views = _as_views(output)
    if views is None:
        report.fail(
            f"return the views as a tensor (144, C, {crop_size}, {crop_size}) or a list of (C, {crop_size},"
            f" {crop_size}) tensors; got {shape_of(output)}"
        )
        return
    if views.shape[1:] != expected.shape[1:]:
        report.fail(
            f"on a {name}, each view should have shape {tuple(expected.shape[1:])} (C, crop, crop), yours have"
            f" {tuple(views.shape[1:])}"
        )
        return
    distances = torch.cdist(expected.flatten(1), views.flatten(1).to(expected.dtype))
    found = distances.min(dim=1).values <= 1e-3 * expected[0].numel() ** 0.5
    missing = [i for i in range(len(expected)) if not found[i]]
    if missing:
        examples = "; ".join(_describe_view(i, portrait, crop_size) for i in missing[:3])
        report.fail(
            f"on a {name}, {len(missing)} of the 144 views are missing (4 scales x 3 squares x"
            f" 6 crops x 2 mirrors), for example: {examples}"
        )
    if len(views) != len(expected):
        report.fail(f"you returned {len(views)} views on a {name}, expected 144 (each view once)")
    if not report.failed:
        report.ok(f"all 144 views of a {name}, as the library's crops(image, '144')")


@checker("Exercise: the 144 crops")
def check_crops_144(report: Report, student_fn: Callable[..., object]) -> None:
    """Check ``student_fn(image, crop_size)`` -> the 144 views of the GoogLeNet / Inception-v4 scheme."""
    if not callable(student_fn):
        report.fail(f"expected a function crops_144(image, crop_size), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course.evaluation",),
                      allowed=(scales_for, resize_shorter_side), write_instead="use scales_for and resize_shorter_side"):
        return
    generator = torch.Generator().manual_seed(0)
    for name, shape, crop_size in IMAGES:
        _check_image(report, student_fn, torch.rand(shape, generator=generator) * 2 - 1, name, crop_size)
        if report.failed:
            return
