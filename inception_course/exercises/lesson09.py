"""Lesson 9's checkers (evaluation), in the lesson's order.

* ``check_topk_error``: ``topk_error(scores, targets, k)`` -> the top-k error in percent, against
  :func:`inception_course.evaluation.topk_error`, on odd example counts (errors with many decimals) and
  several k, two cases drawn afresh for each call;
* ``check_crops_12``: ``crops_12(image, crop_size)`` -> the 12 views (the central square at the
  smallest scale: 4 corners, centre, the whole square, and their mirrors);
* ``check_crops_144``: ``crops_144(image, crop_size)`` -> the 144 views, the missing ones named by
  scale, square, crop and mirror. Both crop checkers compare, in any order, with
  :func:`inception_course.evaluation.crops.crops` on landscape, portrait and square images, crop
  sizes odd and even up to the paper's 299 (one drawn for each call); the library's
  ``crops`` and torchvision's ``five_crop``/``ten_crop`` are refused, ``scales_for`` and
  ``resize_shorter_side`` are the exercise's givens;
* ``check_ensemble_average``: ``ensemble_probabilities(models, images)`` -> the members' averaged
  softmax of 1-4 members, against :class:`inception_course.evaluation.Ensemble`.

Every checker hands the student's function the very tensors and modules it compares with, and fails
an answer that changed them in place.
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
from .checking.inputs import Untouched, fresh_generator

#: (examples, classes, k): odd example counts, so that an error rounded to one decimal is wrong;
#: k above the number of classes (every row is then right); one example alone.
TOPK_CASES = ((50, 10, 1), (7, 10, 5), (20, 1000, 5), (33, 20, 10), (9, 3, 5), (1, 10, 1), (13, 6, 2))


def _topk_cases() -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    """:data:`TOPK_CASES` (always the same scores), then two cases drawn afresh for this call
    (other counts, classes, k and scores)."""
    fixed, (drawn, _) = torch.Generator().manual_seed(0), fresh_generator()
    settings = [(case, fixed) for case in TOPK_CASES]
    for _ in range(2):
        n, classes = (int(torch.randint(low, high, (1,), generator=drawn)) for low, high in ((3, 61), (2, 31)))
        settings.append(((n, classes, int(torch.randint(1, classes + 3, (1,), generator=drawn))), drawn))
    cases = []
    for (n, classes, k), generator in settings:
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
        inputs = Untouched(scores=scores, targets=targets)
        answer, error = run(student_fn, scores, targets, k)
        case = f"top-{k} on {scores.shape[0]} examples of {scores.shape[1]} classes"
        if inputs.refuse_changes(report, f"{case}: your function"):
            return
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
        report.ok(f"{case}: {expected:.4g}%")


VIEW_NAMES = ("top-left corner", "top-right corner", "bottom-left corner", "bottom-right corner", "centre", "whole square")


def _views(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output if output.dim() == 4 else None
    if isinstance(output, (list, tuple)) and output and all(isinstance(v, torch.Tensor) and v.dim() == 3 for v in output):
        shapes = {tuple(v.shape) for v in output}
        return torch.stack(list(output)) if len(shapes) == 1 else None
    return None


def _drawn_image(generator: torch.Generator, channels: int = 3) -> tuple[str, tuple[int, int, int], int]:
    """A crop size (odd or even) and an image of any aspect around it, drawn for this call."""
    crop_size = int(torch.randint(17, 41, (1,), generator=generator))
    sides = [int(crop_size * 1.2 + torch.randint(0, crop_size, (1,), generator=generator)) for _ in range(2)]
    name = "portrait" if sides[0] > sides[1] else "landscape" if sides[0] < sides[1] else "square"
    return f"{name} (drawn)", (channels, *sides), crop_size


#: (name, image shape, crop size): landscape, portrait and square images, even and odd crop sizes,
#: and the paper's 299 last (a drawn case comes before it).
CROPS_12 = (("landscape", (3, 40, 56), 32), ("portrait", (3, 52, 38), 32), ("square", (3, 36, 36), 32),
            ("portrait", (3, 47, 39), 33), ("landscape", (3, 300, 400), 299))


@checker("Exercise: the 12 crops")
def check_crops_12(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(image, crop_size)`` -> the 12 views of the 12-crop scheme, in any order."""
    if not callable(student_fn):
        report.fail(f"expected a function crops_12(image, crop_size), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[resize_shorter_side, scales_for],
                      write_instead="cut the views yourself (resize_shorter_side and scales_for may help)"):
        return
    fixed, (drawn, _) = torch.Generator().manual_seed(0), fresh_generator()
    cases = [(*case, fixed) for case in CROPS_12[:-1]] + [(*_drawn_image(drawn), drawn), (*CROPS_12[-1], fixed)]
    for name, shape, size, generator in cases:
        image = torch.rand(shape, generator=generator) * 2 - 1
        expected = crops(image, "12", size)
        inputs = Untouched(image=image)
        output, error = run(student_fn, image, size)
        case = f"a {name} image {tuple(shape)} with crop_size={size}"
        if inputs.refuse_changes(report, f"crops_12 on {case}"):
            return
        if error is not None:
            report.fail(f"crops_12 on {case} raised {error}")
            return
        views = _views(output)
        if views is None or views.shape[1:] != expected.shape[1:]:
            report.fail(f"{case}: return a tensor (12, C, {size}, {size}) or a list of (C, {size}, {size}) tensors; got {shape_of(output)}")
            return
        distances = torch.cdist(expected.flatten(1), views.flatten(1).to(expected.dtype))
        found = distances.min(dim=1).values <= 1e-3 * expected[0].numel() ** 0.5
        missing = [i for i in range(len(expected)) if not found[i]]
        if missing:
            words = "; ".join(VIEW_NAMES[i % 6] + (", mirrored" if i >= 6 else "") for i in missing[:3])
            report.fail(
                f"{case}: {len(missing)} of the 12 views are missing, e.g. {words}. The views come from the central"
                f" square of the image resized so its shorter side is {scales_for(size)[0]} px (the smallest"
                " of the 144 scheme's scales): its 4 corners, its centre, the whole square resized, and their mirrors"
            )
            return
        if len(views) != len(expected):
            report.fail(f"{case}: you returned {len(views)} views, expected 12 (no repeats)")
            return
        report.ok(f"{case}: all 12 views")


#: (name, image shape, crop size) for the 144 crops; the 299 px case is one channel, to keep it quick.
IMAGES = (("landscape", (3, 40, 56), 32), ("portrait", (3, 56, 40), 32), ("landscape", (3, 30, 45), 24),
          ("portrait", (3, 45, 37), 25), ("landscape", (1, 300, 360), 299))

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
    inputs = Untouched(image=image)
    output, error = run(student_fn, image, crop_size)
    if inputs.refuse_changes(report, f"crops_144 on a {name}"):
        return
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
    fixed, (drawn, _) = torch.Generator().manual_seed(0), fresh_generator()
    cases = [(*case, fixed) for case in IMAGES[:-1]] + [(*_drawn_image(drawn), drawn), (*IMAGES[-1], fixed)]
    for name, shape, crop_size, generator in cases:
        _check_image(report, student_fn, torch.rand(shape, generator=generator) * 2 - 1, name, crop_size)
        if report.failed:
            return


def _members() -> list[nn.Module]:
    members = []
    for seed, hidden in ((0, 6), (1, 4), (2, 8), (3, 5)):
        torch.manual_seed(seed)
        members.append(nn.Sequential(
            nn.Conv2d(3, hidden, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(hidden, 7)
        ).eval())
    for member in members:  # sharper and flatter members: averaging logits then differs visibly
        with torch.no_grad():
            member[-1].weight.mul_(3.0 if member is members[0] else 0.5)
    return members


#: (members, batch size, image size): 1-4 members, a batch of one among others; one case is drawn per call.
ENSEMBLE_CASES = ((3, 5, 12), (2, 1, 9), (1, 3, 14), (4, 2, 11))


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
    fixed, (drawn, _) = torch.Generator().manual_seed(4), fresh_generator()
    cases = [(*case, fixed) for case in ENSEMBLE_CASES]
    cases.append((*(int(torch.randint(low, high, (1,), generator=drawn)) for low, high in ((1, 5), (1, 8), (8, 15))), drawn))
    for count, batch, size, generator in cases:
        images = torch.randn(batch, 3, size, size, generator=generator)
        models = _members()[:count]
        with torch.no_grad():
            expected = Ensemble(models)(images).exp()
        inputs = Untouched(images=images, models=models)
        output, error = run(student_fn, models, images)
        case = f"{count} member(s), {batch} image(s) of {size}x{size}"
        if any(m.training for m in models):
            report.fail(f"{case}: your function switched a member to training mode; evaluate the models as given (eval mode)")
            return
        if inputs.refuse_changes(report, f"{case}: your function"):
            return
        if error is not None:
            report.fail(f"{case}: ensemble_probabilities raised {error}")
            return
        if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
            report.fail(f"{case}: return a tensor of shape {tuple(expected.shape)} (images, classes), got {shape_of(output)}")
            return
        if not torch.allclose(output.float(), expected, atol=1e-5):
            advice = next((words for words, wrong in _ensemble_slips(models, images).items()
                           if torch.allclose(output.float(), wrong, atol=1e-5)), None)
            report.fail(f"{case}: your probabilities differ from the ensemble's by up to"
                        f" {(output.float() - expected).abs().max().item():.3g}: " + (advice or "mean over the models of model(images).softmax(dim=1)"))
            return
        report.ok(f"{case}: the averaged probabilities match Ensemble's")
