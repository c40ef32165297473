"""Lesson 9's exercise: the 144-crop test-time views of one image.

The student writes ``crops_144(image, crop_size)`` for one un-cropped ``(C, H, W)`` image and
returns the 144 views (a tensor ``(144, C, s, s)`` or a list of ``(C, s, s)`` tensors). The
checker compares them, in any order, with :func:`inception_course.evaluation.crops.crops` on a
landscape and a portrait image, and names the views that are missing - by scale, square, crop and
mirror - so the student sees which part of "4 scales x 3 squares x 6 crops x 2 mirrors" is wrong.
"""

from __future__ import annotations

from typing import Callable

import torch

from ..evaluation.crops import crops, scales_for
from .compare import run, shape_of
from .result import CheckResult, Report

CROP_SIZE = 32  # small, so that the check runs in a blink; the geometry is the same at 299
CROP_NAMES = (
    "top-left corner", "top-right corner", "bottom-left corner", "bottom-right corner", "centre", "whole square",
)


def _describe_view(index: int, portrait: bool) -> str:
    """Words for view ``index`` of the library's order (scale -> square -> crop, then mirrors)."""
    per_scale, unmirrored = 18, 72
    mirrored, rest = divmod(index, unmirrored)
    scale, rest = divmod(rest, per_scale)
    square, crop = divmod(rest, 6)
    squares = ("top", "centre", "bottom") if portrait else ("left", "centre", "right")
    words = f"shorter side {scales_for(CROP_SIZE)[scale]} px, {squares[square]} square, {CROP_NAMES[crop]}"
    return words + (", mirrored" if mirrored else "")


def _as_views(output: object) -> torch.Tensor | None:
    """The student's views as one ``(N, C, s, s)`` tensor, or ``None`` when that is impossible."""
    if isinstance(output, torch.Tensor):
        return output if output.dim() == 4 else None
    if isinstance(output, (list, tuple)) and output and all(isinstance(v, torch.Tensor) for v in output):
        shapes = {tuple(v.shape) for v in output}
        return torch.stack(list(output)) if len(shapes) == 1 and len(next(iter(shapes))) == 3 else None
    return None


def _check_image(report: Report, student_fn: Callable[..., object], image: torch.Tensor, name: str) -> None:
    portrait = image.shape[-2] > image.shape[-1]
    expected = crops(image, "144", CROP_SIZE)
    output, error = run(student_fn, image.clone(), CROP_SIZE)
    if error is not None:
        report.fail(f"crops_144 on a {name} image of shape {shape_of(image)} raised {error}")
        return
    views = _as_views(output)
    if views is None:
        report.fail(
            f"return the views as a tensor (144, C, {CROP_SIZE}, {CROP_SIZE}) or a list of (C, {CROP_SIZE},"
            f" {CROP_SIZE}) tensors; got {shape_of(output)}"
        )
        return
    if views.shape[1:] != expected.shape[1:]:
        report.fail(
            f"each view should have shape {tuple(expected.shape[1:])} (C, crop, crop), yours have"
            f" {tuple(views.shape[1:])}"
        )
        return
    distances = torch.cdist(expected.flatten(1), views.flatten(1).to(expected.dtype))
    found = distances.min(dim=1).values <= 1e-3 * expected[0].numel() ** 0.5
    missing = [i for i in range(len(expected)) if not found[i]]
    if missing:
        examples = "; ".join(_describe_view(i, portrait) for i in missing[:3])
        report.fail(
            f"on a {name} image, {len(missing)} of the 144 views are missing (4 scales x 3 squares x"
            f" 6 crops x 2 mirrors), for example: {examples}"
        )
    if len(views) != len(expected):
        report.fail(f"you returned {len(views)} views on a {name} image, expected 144")
    if not report.failed:
        report.ok(f"all 144 views of a {name} image {shape_of(image)}, as the library's crops(image, '144')")


def check_crops_144(student_fn: Callable[..., object], verbose: bool = True) -> CheckResult:
    """Check ``student_fn(image, crop_size)`` -> the 144 views of the GoogLeNet / Inception-v4 scheme."""
    report = Report("Exercise: the 144 crops")
    if not callable(student_fn):
        report.fail(f"expected a function crops_144(image, crop_size), got {type(student_fn).__name__}")
        return report.finish(verbose)
    generator = torch.Generator().manual_seed(0)
    for name, shape in (("landscape", (3, 40, 56)), ("portrait", (3, 56, 40))):
        _check_image(report, student_fn, torch.rand(shape, generator=generator) * 2 - 1, name)
        if report.failed:
            break
    return report.finish(verbose)
