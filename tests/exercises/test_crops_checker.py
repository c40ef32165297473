"""check_crops_144: the library's scheme passes in any order; missing parts are named."""

import pytest
import torch

from torchvision.transforms import functional as TF

from inception_course.evaluation.crops import crops, resize_shorter_side, scales_for
from inception_course.exercises import check_crops_144


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
    shuffled = lambda image, size: [hand_made(image, size)[i] for i in torch.randperm(144).tolist()]
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
