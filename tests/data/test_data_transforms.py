"""Inception preprocessing: sizes per model, the [-1, 1] range, central-crop geometry, random crops."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from torchvision.transforms import v2

from inception_course.data import transforms_for
from inception_course.data.transforms import to_signed_unit_range


def test_pixels_map_to_signed_unit_range():
    image = torch.zeros(3, 40, 40, dtype=torch.uint8)
    image[:, :, 20:] = 255
    out = transforms_for(None, image_size=40, crop_fraction=1.0)(image)
    assert out.dtype == torch.float32 and out.min() == -1 and out.max() == 1


def test_signed_unit_range_is_torchvisions_two_transforms_bit_for_bit():
    torchvision_way = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)])
    every_byte = torch.arange(256, dtype=torch.uint8).repeat(3, 2, 1)
    fast = to_signed_unit_range()
    for image in (every_byte, every_byte.permute(0, 2, 1), torch.rand(3, 4, 4)):  # strided, and float input
        out = fast(image)
        assert out.dtype == torch.float32 and torch.equal(out, torchvision_way(image))
    assert fast(every_byte)[0, 0, 0] == -1 and fast(every_byte)[0, 0, 255] == 1


@pytest.mark.parametrize(
    ("model", "size"), [(None, 299), ("inception_v4", 299), ("googlenet", 224), ("inception_v2", 224)]
)
@pytest.mark.parametrize("train", [False, True])
def test_default_sizes_per_model(model, size, train):
    image = Image.fromarray(np.zeros((180, 240, 3), np.uint8))
    assert transforms_for(model, train=train)(image).shape == (3, size, size)


def test_eval_keeps_the_central_crop_fraction():
    """White inside the central half of the shorter side, black elsewhere: a 0.5 crop sees only white."""
    pixels = np.zeros((200, 300, 3), np.uint8)
    pixels[50:150, 100:200] = 255
    image = Image.fromarray(pixels)
    assert transforms_for(None, image_size=64, crop_fraction=0.5)(image).mean() > 0.95
    wide = transforms_for(None, image_size=64, crop_fraction=1.0)(image)
    assert wide[:, 32, 0].max() == -1 and wide[:, 32, 32].min() == 1  # border black, centre white


def test_train_crops_are_random():
    image = torch.randint(0, 256, (3, 120, 160), dtype=torch.uint8)
    transform = transforms_for("inception_v3", image_size=48, train=True)
    torch.manual_seed(0)
    first, second = transform(image), transform(image)
    assert first.shape == second.shape == (3, 48, 48) and not torch.equal(first, second)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="googlenet"):
        transforms_for("resnet50")
    with pytest.raises(ValueError, match="crop_fraction"):
        transforms_for(None, crop_fraction=1.5)
