"""Lesson 9's checkers (evaluation): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson09.py``)."""

import numpy as np
import pytest
import torch
from torchvision.transforms import functional as TF

from inception_course.evaluation import Ensemble
from inception_course.evaluation.crops import crops, resize_shorter_side, scales_for
from inception_course.evaluation.metrics import topk_error as library_topk
from inception_course.exercises import (
    check_crops_12,
    check_crops_144,
    check_ensemble_average,
    check_topk_error,
)


def six_crops(square, size, centre=lambda far: far // 2, antialias=True):
    """4 corners, centre, whole square resized: written out independently of the library."""
    far = square.shape[-1] - size
    corners = [(0, 0), (0, far), (far, 0), (far, far), (centre(far), centre(far))]
    views = [square[..., y : y + size, x : x + size] for y, x in corners]
    return views + [TF.resize(square, [size, size], antialias=antialias)]


def squares_of(image):
    """Left, centre, right squares (top, centre, bottom for a portrait image)."""
    height, width = image.shape[-2:]
    side, extra = min(height, width), abs(height - width)
    if width >= height:
        return [image[..., :, x : x + side] for x in (0, extra // 2, extra)]
    return [image[..., y : y + side, :] for y in (0, extra // 2, extra)]


def hand_made(image, crop_size, mirrors=True, whole=True, squares=3, scales=4, flip=-1, typed_size=None, **crop_options):
    """The 144 scheme written out, with parts that can be left out or changed."""
    views = []
    crop_size = typed_size or crop_size
    for scale in scales_for(crop_size)[:scales]:
        for square in squares_of(resize_shorter_side(image, scale))[:squares]:
            views += six_crops(square, crop_size, **crop_options)[: 6 if whole else 5]
    return views + [v.flip(flip) for v in views] if mirrors else views


def messages(result):
    return " ".join(result.messages)


def test_library_and_shuffled_lists_pass():
    assert check_crops_144(hand_made, verbose=False).passed
    def shuffled(image, size):
        views = hand_made(image, size)
        return [views[i] for i in torch.randperm(144).tolist()]

    assert check_crops_144(shuffled, verbose=False).passed


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"mirrors": False}, "72 of the 144 views are missing"),
        ({"whole": False}, "whole square"),
        ({"squares": 1}, "centre square"),
        ({"scales": 3}, "shorter side 50 px"),
        ({"flip": -2}, "mirrored"),
        ({"typed_size": 32}, "crop_size=24"),
        ({"centre": lambda far: -(-far // 2)}, "centre"),
        ({"antialias": False}, "whole square"),
    ],
)
def test_missing_parts_are_named(options, expected):
    result = check_crops_144(lambda image, size: hand_made(image, size, **options), verbose=False)
    assert not result.passed
    assert expected in messages(result)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_portrait_images_use_top_and_bottom_squares():
    def landscape_only(image, size):  # takes squares along the width even for portrait images
        views = []
        for scale in scales_for(size):
            resized = resize_shorter_side(image, scale)
            side = min(resized.shape[-2:])
            for left in (0, (resized.shape[-1] - side) // 2, resized.shape[-1] - side):
                views += six_crops(resized[..., :side, left : left + side], size)
        return views + [v.flip(-1) for v in views]

    result = check_crops_144(landscape_only, verbose=False)
    assert not result.passed and "portrait" in messages(result)


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda image, size: torch.zeros(144, 3, size + 1, size + 1), "each view should have shape"),
        (lambda image, size: hand_made(image, size) * 2, "you returned 288 views"),
        (lambda image, size: hand_made(image, size) + [image[:, :size, :size]], "you returned 145 views"),
        (lambda image, size: crops(image, "144", size), "library's own implementation (crops"),
        (lambda image, size: [TF.center_crop(image, size)] * 144, "views are missing"),
        (lambda image, size: "views", "return the views as a tensor"),
        (lambda image: image, "raised TypeError"),
        (None, "expected a function"),
    ],
)
def test_wrong_outputs_are_explained(student, expected):
    result = check_crops_144(student, verbose=False)
    assert not result.passed and expected in messages(result)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def topk_error(scores, targets, k, *, largest=True, percent=True, accuracy=False, shift=0):
    top = scores.topk(max(1, min(k + shift, scores.shape[1])), dim=1, largest=largest).indices
    hit = (top == targets[:, None]).any(dim=1).float().mean().item()
    value = hit if accuracy else 1 - hit
    return 100 * value if percent else value


def test_topk_solution_passes():
    assert check_topk_error(topk_error, verbose=False).passed
    assert check_topk_error(lambda *a: np.float32(topk_error(*a)), verbose=False).passed  # numpy numbers are numbers


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda s, t, k: topk_error(s, t, k, accuracy=True), "that is the accuracy"),
        (lambda s, t, k: topk_error(s, t, k, percent=False), "that is a fraction"),
        (lambda s, t, k: topk_error(s, t, k, shift=-1), "error: take the"),  # the top-(k - 1) error
        (lambda s, t, k: topk_error(s, t, k, largest=False), "LOWEST scores"),
        (lambda s, t, k: topk_error(s, t, 1), "top-1 error whatever k is"),
        (lambda s, t, k: topk_error(s, t, k, shift=1), "expected"),
        (lambda s, t, k: 100 * (s.argmax(1) != t).float().mean().item() if k == 1 else 0.0, "top-5"),
        (lambda s, t, k: topk_error(s, t, 5), "top-1 on 50"),
        (lambda s, t, k: 100 * (1 - (s.topk(k, 1).indices == t[:, None]).any(1).float().mean().item()), "raised"),
        (lambda s, t, k: torch.tensor([topk_error(s, t, k)] * 2), "return a number"),
        (lambda s, t, k: library_topk(s, t, (k,))[k], "library's own"),
        (lambda s, t, k: round(topk_error(s, t, k), 1), "on 7 examples"),  # right for 50, 20 or 40 examples only
        (lambda s, t, k: topk_error(s.sub_(s.mean()), t, k), "changed its input scores in place"),
        (lambda s, t, k: topk_error(s, t.add_(1).remainder_(s.shape[1]), k), "changed its input targets"),
        (lambda s, t: 0.0, "raised"),
        ({}, "expected a function"),
    ],
)
def test_wrong_topk_fails(student, expected):
    result = check_topk_error(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def crops_12(image, size, *, scale_index=0, square="centre", mirror="flip", whole=True, far_offset=0, as_list=False,
             halves=False):
    resized = resize_shorter_side(image, scales_for(size)[scale_index])
    h, w = resized.shape[-2:]
    side = min(h, w)
    start = {"centre": (max(h, w) - side) // 2, "first": 0}[square]
    sq = resized[..., :, start:start + side] if w >= h else resized[..., start:start + side, :]
    far, mid = side - size - far_offset, (side // 2 - size // 2 if halves else (side - size) // 2)
    views = [sq[..., y:y + size, x:x + size] for y, x in [(0, 0), (0, far), (far, 0), (far, far), (mid, mid)]]
    views.append(TF.resize(sq, [size, size], antialias=True) if whole else sq[..., :size, :size])
    views = torch.stack(views)
    views = torch.cat([views, views.flip(-1) if mirror == "flip" else views.flip(-2) if mirror == "vflip" else views])
    return list(views) if as_list else views


def test_crops_solutions_pass():
    assert check_crops_12(crops_12, verbose=False).passed
    assert check_crops_12(lambda im, s: crops_12(im, s, as_list=True)[::-1], verbose=False).passed  # any order


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda im, s: crops_12(im, s, scale_index=1), "12 views are missing"),
        (lambda im, s: crops_12(im, s, square="first"), "landscape"),
        (lambda im, s: crops_12(im, s, mirror="vflip"), "mirrored"),
        (lambda im, s: crops_12(im, s, mirror="none"), "mirrored"),
        (lambda im, s: crops_12(im, s, whole=False), "whole square"),
        (lambda im, s: crops_12(im, s, far_offset=1), "corner"),
        (lambda im, s: crops_12(im, s)[:10], "missing"),
        (lambda im, s: torch.cat([crops_12(im, s), crops_12(im, s)[:1]]), "13 views"),
        (lambda im, s: crops(im, "12", s), "library's own"),
        (lambda im, s: crops_12(im, 24), "return a tensor (12, C, 32, 32)"),
        (lambda im, s: crops_12(im, 32), "return a tensor (12, C, 33, 33)"),  # the crop size typed in
        (lambda im, s: crops_12(im, s, halves=True), "crop_size=33: 2 of the 12 views are missing, e.g. centre"),
        (lambda im, s: crops_12(im.clamp_(-0.5, 0.5), s), "changed its input image in place"),
        (lambda im, s: crops_12(im, s)[:, :1], "return a tensor"),
        (lambda im, s: crops_12(im[None], s), "got (12, 1, 3, 32, 32)"),
        (lambda im, s: crops_12(im, s) / 0 if im.shape[1] > im.shape[2] else crops_12(im, s), "portrait"),
        (lambda im: im, "raised"),
        (lambda im, s: None, "return a tensor"),
    ],
)
def test_wrong_crops_fail(student, expected):
    result = check_crops_12(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def ensemble_probabilities(models, images):
    with torch.no_grad():
        return sum(model(images).softmax(dim=1) for model in models) / len(models)


def test_ensemble_solution_passes():
    assert check_ensemble_average(ensemble_probabilities, verbose=False).passed


def train_mode(models, images):
    for model in models:
        model.train()
    return ensemble_probabilities(models, images)


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda ms, x: (sum(m(x) for m in ms) / len(ms)).softmax(1), "logits are averaged"),
        (lambda ms, x: sum(m(x).softmax(1) for m in ms), "summed"),
        (lambda ms, x: ensemble_probabilities(ms, x).log(), "log of the averaged"),
        (lambda ms, x: sum(m(x).softmax(0) for m in ms) / len(ms), "over the batch"),
        (lambda ms, x: ms[0](x).softmax(1), "3 member(s)"),  # the first member only
        (lambda ms, x: torch.stack([m(x).softmax(1) for m in ms]).max(0).values, "differ"),
        (lambda ms, x: torch.stack([m(x).softmax(1) for m in ms]).prod(0), "differ"),
        (lambda ms, x: torch.stack([m(x).softmax(1) for m in ms]).median(0).values, "differ"),
        (train_mode, "training mode"),
        (lambda ms, x: ensemble_probabilities(ms[:3], x), "4 member(s)"),  # right for up to three members
        (lambda ms, x: ensemble_probabilities(ms, x.div_(2)), "changed its input images in place"),
        (lambda ms, x: ensemble_probabilities(ms, x).argmax(1), "return a tensor of shape"),
        (lambda ms, x: Ensemble(ms)(x).exp(), "library's own"),
        (lambda ms: 0, "raised"),
        (0, "expected a function"),
    ],
)
def test_wrong_ensembles_fail(student, expected):
    result = check_ensemble_average(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def timm_topk(scores, targets, k):
    from timm.utils import accuracy

    return 100 - accuracy(scores, targets, topk=(min(k, scores.shape[1]),))[0].item()


def test_timms_accuracy_is_refused():
    pytest.importorskip("timm")
    result = check_topk_error(timm_topk, verbose=False)
    assert not result.passed
    assert "ready-made implementation (accuracy" in messages(result)


def torchvision_crops_12(image, size):
    square = resize_shorter_side(image, scales_for(size)[0])
    side = min(square.shape[-2:])
    square = TF.center_crop(square, [side, side])
    five = TF.five_crop(square, [size, size])
    whole = TF.resize(square, [size, size], antialias=True)
    views = torch.stack([*five, whole])
    return torch.cat([views, views.flip(-1)])


def torchvision_ten_crops_12(image, size):
    square = resize_shorter_side(image, scales_for(size)[0])
    side = min(square.shape[-2:])
    square = TF.center_crop(square, [side, side])
    whole = TF.resize(square, [size, size], antialias=True)
    return torch.stack([*TF.ten_crop(square, [size, size]), whole, whole.flip(-1)])


def torchvision_crops_144(image, size):
    views = []
    for scale in scales_for(size):
        for square in squares_of(resize_shorter_side(image, scale)):
            views += [*TF.five_crop(square, [size, size]), TF.resize(square, [size, size], antialias=True)]
    return views + [v.flip(-1) for v in views]


@pytest.mark.parametrize("student, checker", [(torchvision_crops_12, check_crops_12), (torchvision_ten_crops_12, check_crops_12),
                                              (torchvision_crops_144, check_crops_144)])
def test_torchvisions_crops_are_refused(student, checker):
    result = checker(student, verbose=False)
    assert not result.passed
    assert "ready-made implementation" in messages(result)
