"""build_dataset's contract: names, splits and options are checked with messages listing the valid ones."""

from __future__ import annotations

import pytest

from inception_course.data import build_dataset, list_datasets


def test_registry_names():
    assert list_datasets() == ["synthetic", "fashion_mnist", "imagenette", "imagewoof", "imagenet", "imagenet100"]


@pytest.mark.parametrize(
    ("name", "split", "options", "listed"),
    [
        ("cifar10", "train", {}, "synthetic, fashion_mnist, imagenette, imagewoof, imagenet, imagenet100"),
        ("synthetic", "test", {}, "train, val"),
        ("imagewoof", "train", {"size": "640"}, "full, 320, 160"),
        ("synthetic", "train", {"colour": True}, "num_classes, num_images, seed, level"),
    ],
)
def test_bad_requests_list_the_valid_choices(name, split, options, listed, tmp_path):
    with pytest.raises(ValueError, match=listed):
        build_dataset(name, split, root=tmp_path, **options)


def test_returned_dataset_contract():
    data = build_dataset("synthetic", "train", image_size=48, num_images=6, num_classes=3, seed=1)
    image, label = data[0]
    assert image.shape == (3, 48, 48) and isinstance(label, int)
    assert data.num_classes == 3 and len(data.classes) == 3
