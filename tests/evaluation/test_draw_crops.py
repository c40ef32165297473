"""The crop pictures of lesson 9: the boxes drawn are the boxes crops() cuts, in the original
image's pixels, and the views grid shows every view with its name."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from inception_course.evaluation import crop_boxes, crops, draw_crops, painted_landscape, show_views  # noqa: E402
from inception_course.evaluation.crops import resized_shape  # noqa: E402

CROP = 56


def _rectangles(ax) -> list[tuple[float, float, float, float]]:
    return [(p.get_x(), p.get_y(), p.get_width(), p.get_height()) for p in ax.patches]


def _on_original(box, height: int = 60, width: int = 80) -> tuple[float, float, float, float]:
    """A box in the resized image's pixels, in the original image's (each axis by its own factor)."""
    resized_height, resized_width = resized_shape(height, width, box.scale)
    fy, fx = resized_height / height, resized_width / width
    return box.left / fx, box.top / fy, box.size / fx, box.size / fy


def test_painted_landscape_is_an_image_in_the_course_range():
    photo = painted_landscape(30, 40)
    assert photo.shape == (3, 30, 40) and photo.dtype == torch.float32
    assert photo.min() >= -1 and photo.max() <= 1 and photo.std() > 0.1


def test_draw_crops_draws_the_boxes_of_crop_boxes_on_the_original_image():
    photo = painted_landscape(60, 80)
    fig = draw_crops(photo, ("single", "12", "144"), CROP)
    try:
        single, twelve, *by_scale = fig.axes
        assert len(by_scale) == 4                                   # one panel per scale of 144
        (box,) = crop_boxes(60, 80, "single", CROP)
        assert _rectangles(single) == [pytest.approx(_on_original(box))]
        assert len(_rectangles(twelve)) == 6                        # the square and its five cut crops
        boxes_144 = crop_boxes(60, 80, "144", CROP)
        last_scale = [b for b in boxes_144 if b.scale == boxes_144[-1].scale]
        right_square = last_scale[-1]                               # the right square, drawn in full
        assert _rectangles(by_scale[-1])[4] == pytest.approx(_on_original(right_square))
        assert len(_rectangles(by_scale[-1])) == 6                  # three squares and their centre crops
    finally:
        plt.close(fig)


def test_show_views_titles_each_of_the_12_views():
    views = crops(painted_landscape(60, 80), "12", CROP)
    fig = show_views(views)
    try:
        titles = [ax.get_title() for ax in fig.axes]
        assert titles[0] == "top-left" and titles[5] == "whole square" and titles[11] == "whole square (mirror)"
        assert [ax.images[0].get_array().shape[:2] for ax in fig.axes] == [(CROP, CROP)] * 12
    finally:
        plt.close(fig)
