"""Crop geometry: how many views, their size, where they come from, and the mirrors.

The test image's pixels encode their own coordinates (channel 0 = row, channel 1 = column), so a
view's pixels say where in the image it was cut. Bilinear resizing of such a linear ramp keeps it
linear, so the mean coordinate of a view is where its centre was, even after a resize.
"""

from __future__ import annotations

import pytest
import torch

from torchvision.transforms import functional as TF

from inception_course.evaluation import SCHEMES, crop_boxes, crops, scales_for
from inception_course.evaluation.crops import resize_shorter_side

CROP = 56  # scales 64, 72, 80, 88: small numbers, same ratios as 224 -> 256, 288, 320, 352


def coordinate_image(height: int, width: int) -> torch.Tensor:
    rows = torch.arange(height, dtype=torch.float32).view(-1, 1).expand(height, width)
    cols = torch.arange(width, dtype=torch.float32).view(1, -1).expand(height, width)
    return torch.stack([rows, cols, torch.zeros(height, width)])


def top_left(view: torch.Tensor) -> tuple[int, int]:
    return int(view[0, 0, 0]), int(view[1, 0, 0])


def centre_in_source(view: torch.Tensor) -> tuple[float, float]:
    """Mean (row, col) coordinate the view shows, in the original image's pixels."""
    return float(view[0].mean()), float(view[1].mean())


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("shape", [(64, 80), (80, 64), (64, 64)])
def test_count_and_size(scheme, shape):
    views = crops(coordinate_image(*shape), scheme, CROP)
    assert views.shape == (SCHEMES[scheme], 3, CROP, CROP)


def test_scales_follow_the_googlenet_ratios():
    assert scales_for(224) == (256, 288, 320, 352)
    assert scales_for(299) == (342, 384, 427, 470)
    assert scales_for(CROP) == (64, 72, 80, 88)


def test_single_crop_is_central_at_the_crop_fraction():
    # shorter side 64 = 56 / 0.875: no resize, so the view is exactly the central 56 x 56 window.
    (view,) = crops(coordinate_image(64, 80), "single", CROP, crop_fraction=0.875)
    assert top_left(view) == (4, 12)
    # crop_fraction 1.0: the shorter side is resized to the crop itself, keeping the whole height.
    (view,) = crops(coordinate_image(64, 80), "single", CROP, crop_fraction=1.0)
    assert view[0].mean() == pytest.approx(31.5, abs=0.05) and view[1].mean() == pytest.approx(39.5, abs=0.05)


def test_144_crops_at_the_first_scale_are_exact_windows():
    # Landscape 64 x 80: at scale 64 (no resize) the squares start at columns 0, 8, 16, and each
    # square's corners / centre start at offsets 0, 8 and 4.
    views = crops(coordinate_image(64, 80), "144", CROP)
    for square, x0 in enumerate((0, 8, 16)):
        corners_and_centre = [(0, x0), (0, x0 + 8), (8, x0), (8, x0 + 8), (4, x0 + 4)]
        assert [top_left(view) for view in views[6 * square : 6 * square + 5]] == corners_and_centre
        whole = views[6 * square + 5]  # the whole 64 x 64 square resized to 56: centred on the square
        assert centre_in_source(whole) == pytest.approx((31.5, x0 + 31.5), abs=0.1)
        assert whole[1].min() < x0 + 1 and whole[1].max() > x0 + 62  # ...and spanning all of it


def test_portrait_images_use_top_centre_bottom_squares():
    views = crops(coordinate_image(80, 64), "144", CROP)
    assert [top_left(views[6 * s]) for s in range(3)] == [(0, 0), (8, 0), (16, 0)]


def test_144_crops_at_larger_scales_come_from_the_right_places():
    # At scale 88 the image is resized by 88/64; a view centred at (r, c) of the resized image shows
    # the source around ((r + 0.5) / f - 0.5, ...).
    height, width = 64, 80
    views = crops(coordinate_image(height, width), "144", CROP)
    f = 88 / 64
    resized_width = round(width * f)  # 110
    last_scale = views[54:72]
    for square, x0 in enumerate((0, (resized_width - 88) // 2, resized_width - 88)):
        centre_view = last_scale[6 * square + 4]  # the square's centre crop, centred on the square
        expected = ((44 - 0.5) / f + 0.5 / f - 0.5, (x0 + 44 - 0.5) / f + 0.5 / f - 0.5)
        assert centre_in_source(centre_view) == pytest.approx(expected, abs=0.15), square


def test_second_half_of_the_views_are_mirrors_of_the_first():
    image = torch.rand(3, 70, 90)
    for scheme in ("12", "144"):
        views = crops(image, scheme, CROP)
        half = len(views) // 2
        torch.testing.assert_close(views[half:], views[:half].flip(-1))


def test_12_crops_are_the_central_square_of_the_first_scale_of_144():
    image = torch.rand(3, 70, 90)
    twelve, all_144 = crops(image, "12", CROP), crops(image, "144", CROP)
    torch.testing.assert_close(twelve[:6], all_144[6:12])  # scale 0, square 1 (centre)
    torch.testing.assert_close(twelve[6:], all_144[72 + 6 : 72 + 12])


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="choose one of"):
        crops(torch.rand(3, 64, 64), "10", CROP)
    with pytest.raises(ValueError, match="one float image tensor"):
        crops(torch.rand(1, 3, 64, 64), "single", CROP)
    with pytest.raises(ValueError, match="crop_fraction"):
        crops(torch.rand(3, 64, 64), "single", CROP, crop_fraction=1.5)


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("shape", [(3, 60, 80), (3, 90, 70), (3, 64, 64)])
def test_crop_boxes_are_where_every_view_is_cut(scheme, shape):
    torch.manual_seed(0)
    image = torch.rand(shape) * 2 - 1
    views = crops(image, scheme, CROP)
    boxes = crop_boxes(shape[1], shape[2], scheme, CROP)
    assert len(boxes) == len(views) // (1 if scheme == "single" else 2)
    for box, view in zip(boxes, views):
        region = resize_shorter_side(image, box.scale)[:, box.top:box.top + box.size, box.left:box.left + box.size]
        assert region.shape[-2:] == (box.size, box.size)
        if box.squeezed:
            region = TF.resize(region, [CROP, CROP], antialias=True)
        assert torch.equal(region, view), box


def test_crop_boxes_fail_a_box_moved_by_one_pixel():
    """The comparison above can fail: a box one pixel off is a different view."""
    image = torch.rand(3, 60, 80)
    box = crop_boxes(60, 80, "12", CROP)[0]
    region = resize_shorter_side(image, box.scale)[:, box.top:box.top + box.size, box.left + 1:box.left + 1 + box.size]
    assert not torch.equal(region, crops(image, "12", CROP)[0])
    with pytest.raises(ValueError, match="unknown crop scheme"):
        crop_boxes(60, 80, "10", CROP)
