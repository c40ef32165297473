"""Lesson 9's checkers (evaluation), in the lesson's order.

* ``check_topk_error``: ``topk_error(scores, targets, k)`` -> the top-k error in percent, against
  :func:`inception_course.evaluation.topk_error`;
* ``check_crops_12``: ``crops_12(image, crop_size)`` -> the 12 views (the central square at the
  smallest scale: 4 corners, centre, the whole square, and their mirrors);
* ``check_crops_144``: ``crops_144(image, crop_size)`` -> the 144 views, the missing ones named by
  scale, square, crop and mirror. Both crop checkers compare, in any order, with
  :func:`inception_course.evaluation.crops.crops` on landscape and portrait images; the library's
  ``crops`` and torchvision's ``five_crop``/``ten_crop`` are refused, ``scales_for`` and
  ``resize_shorter_side`` are the exercise's givens;
* ``check_ensemble_average``: ``ensemble_probabilities(models, images)`` -> the members' averaged
  softmax, against :class:`inception_course.evaluation.Ensemble`.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from ..evaluation.crops import crops, resize_shorter_side, scales_for
from ..evaluation.ensemble import Ensemble
from ..evaluation.metrics import topk_error
from .checking.authorship import refuse_library
from .checking.compare import as_number, run, shape_of
from .checking.result import Report, checker

CROP_SIZE = 32  # small, so that the check runs in a blink; the geometry is the same at 299


def _topk_cases() -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    generator = torch.Generator().manual_seed(0)
    cases = []
    for n, classes, k in ((50, 10, 1), (50, 10, 5), (20, 1000, 5), (40, 20, 10), (9, 3, 5), (1, 10, 1)):
        scores = torch.randn(n, classes, generator=generator)
        targets = torch.randint(classes, (n,), generator=generator)
        cases.append((scores, targets, k))
    return cases


def _topk_slip(scores: torch.Tensor, targets: torch.Tensor, k: int, got: float) -> str:
    expected = topk_error(scores, targets, (k,))[k]
    near = lambda a, b: math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)  # noqa: E731
    if near(got, 100 - expected):
        return "that is the accuracy; the error is 100 - accuracy"
    if near(got, expected / 100):
        return "that is a fraction; the paper's tables give percent (multiply by 100)"
    if k > 1 and k - 1 <= scores.shape[1] and near(got, topk_error(scores, targets, (k - 1,))[k - 1]):
        return f"that is the top-{k - 1} error: take the {k} highest scores"
    if near(got, topk_error(-scores, targets, (k,))[k]):
        return "that uses the LOWEST scores: take the k highest (topk, or argsort descending)"
    if k > 1 and near(got, topk_error(scores, targets, (1,))[1]):
        return "that is the top-1 error whatever k is: a prediction is right when the true class is among the k highest scores"
    return "the share (in percent) of rows whose true class is not among the k highest scores"


@checker("Exercise: top-k error")
def check_topk_error(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(scores, targets, k)`` -> the top-k error in percent."""
    if not callable(student_fn):
        report.fail(f"expected a function topk_error(scores, targets, k), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="count the hits yourself"):
        return
    for scores, targets, k in _topk_cases():
        expected = topk_error(scores, targets, (k,))[k]
        answer, error = run(student_fn, scores.clone(), targets.clone(), k)
        case = f"top-{k} on {scores.shape[0]} examples of {scores.shape[1]} classes"
        if error is not None:
            report.fail(f"{case}: topk_error raised {error}" + (" (k can exceed the number of classes: every row is then right)" if k > scores.shape[1] else ""))
            return
        if as_number(answer) is None:
            report.fail(f"{case}: return a number (percent), got {answer!r}")
            return
        answer = as_number(answer)
        if not math.isclose(answer, expected, rel_tol=1e-6, abs_tol=1e-6):
            report.fail(f"{case}: yours {answer:.4g}, expected {expected:.4g}: {_topk_slip(scores, targets, k, answer)}")
            return
        report.ok(f"{case}: {expected:.1f}%")


VIEW_NAMES = ("top-left corner", "top-right corner", "bottom-left corner", "bottom-right corner", "centre", "whole square")


def _views(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output if output.dim() == 4 else None
    if isinstance(output, (list, tuple)) and output and all(isinstance(v, torch.Tensor) and v.dim() == 3 for v in output):
        shapes = {tuple(v.shape) for v in output}
        return torch.stack(list(output)) if len(shapes) == 1 else None
    return None


@checker("Exercise: the 12 crops")
def check_crops_12(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(image, crop_size)`` -> the 12 views of the 12-crop scheme, in any order."""
    if not callable(student_fn):
        report.fail(f"expected a function crops_12(image, crop_size), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[resize_shorter_side, scales_for],
                      write_instead="cut the views yourself (resize_shorter_side and scales_for may help)"):
        return
    generator = torch.Generator().manual_seed(0)
    for name, shape in (("landscape", (3, 40, 56)), ("portrait", (3, 52, 38)), ("square", (3, 36, 36))):
        image = torch.rand(shape, generator=generator) * 2 - 1
        expected = crops(image, "12", CROP_SIZE)
        output, error = run(student_fn, image.clone(), CROP_SIZE)
        case = f"a {name} image {tuple(shape)}"
        if error is not None:
            report.fail(f"crops_12 on {case} raised {error}")
            return
        views = _views(output)
        if views is None or views.shape[1:] != expected.shape[1:]:
            report.fail(f"{case}: return a tensor (12, C, {CROP_SIZE}, {CROP_SIZE}) or a list of (C, {CROP_SIZE}, {CROP_SIZE}) tensors; got {shape_of(output)}")
            return
        distances = torch.cdist(expected.flatten(1), views.flatten(1).to(expected.dtype))
        found = distances.min(dim=1).values <= 1e-3 * expected[0].numel() ** 0.5
        missing = [i for i in range(len(expected)) if not found[i]]
        if missing:
            words = "; ".join(VIEW_NAMES[i % 6] + (", mirrored" if i >= 6 else "") for i in missing[:3])
            report.fail(
                f"{case}: {len(missing)} of the 12 views are missing, e.g. {words}. The views come from the central"
                f" square of the image resized so its shorter side is {scales_for(CROP_SIZE)[0]} px (the smallest"
                " of the 144 scheme's scales): its 4 corners, its centre, the whole square resized, and their mirrors"
            )
            return
        if len(views) != len(expected):
            report.fail(f"{case}: you returned {len(views)} views, expected 12 (no repeats)")
            return
        report.ok(f"{case}: all 12 views")



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


def _members() -> list[nn.Module]:
    members = []
    for seed, hidden in ((0, 6), (1, 4), (2, 8)):
        torch.manual_seed(seed)
        members.append(nn.Sequential(
            nn.Conv2d(3, hidden, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(hidden, 7)
        ).eval())
    for member in members:  # sharper and flatter members: averaging logits then differs visibly
        with torch.no_grad():
            member[-1].weight.mul_(3.0 if member is members[0] else 0.5)
    return members


def _ensemble_slips(models: list[nn.Module], images: torch.Tensor) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        logits = [m(images) for m in models]
    probabilities = [z.softmax(1) for z in logits]
    mean = sum(probabilities) / len(probabilities)
    return {
        "the logits are averaged, then the softmax taken; average the members' softmax outputs (probabilities)":
            (sum(logits) / len(logits)).softmax(1),
        "the probabilities are summed; divide by the number of members": sum(probabilities),
        "that is the log of the averaged probabilities (what Ensemble returns as logits); return the probabilities":
            mean.log(),
        "the softmax is taken over the batch; take it over the classes (dim=1)":
            sum(z.softmax(0) for z in logits) / len(logits),
    }


@checker("Exercise: ensemble averaging")
def check_ensemble_average(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(models, images)`` -> the mean of ``softmax(model(images))`` over the models."""
    if not callable(student_fn):
        report.fail(f"expected a function ensemble_probabilities(models, images), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="average the softmax outputs yourself"):
        return
    images = torch.randn(5, 3, 12, 12, generator=torch.Generator().manual_seed(4))
    for count in (3, 2, 1):
        models = _members()[:count]
        with torch.no_grad():
            expected = Ensemble(models)(images).exp()
        output, error = run(student_fn, models, images.clone())
        case = f"{count} member(s)"
        if error is not None:
            report.fail(f"{case}: ensemble_probabilities raised {error}")
            return
        if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
            report.fail(f"{case}: return a tensor of shape {tuple(expected.shape)} (images, classes), got {shape_of(output)}")
            return
        if any(m.training for m in models):
            report.fail(f"{case}: your function switched a member to training mode; evaluate the models as given (eval mode)")
            return
        if not torch.allclose(output.float(), expected, atol=1e-5):
            advice = next((words for words, wrong in _ensemble_slips(models, images).items()
                           if torch.allclose(output.float(), wrong, atol=1e-5)), None)
            report.fail(f"{case}: your probabilities differ from the ensemble's by up to"
                        f" {(output.float() - expected).abs().max().item():.3g}: " + (advice or "mean over the models of model(images).softmax(dim=1)"))
            return
        report.ok(f"{case}: the averaged probabilities match Ensemble's")
