"""cache_dataset: decoded once into a uint8 file (atomically), then reused and read through transforms."""

from __future__ import annotations

import pytest
import torch

from inception_course.data import CachedDataset, SyntheticShapes, build_dataset, cache_dataset
from inception_course.data.transforms import to_uint8_tensor


def test_named_dataset_is_cached_once_and_reused(tmp_path):
    options = dict(num_images=12, num_classes=3, root=tmp_path, image_size=32, num_workers=0)
    cached = cache_dataset("synthetic", "val", short_side=40, **options)
    files = list((tmp_path / "cache").iterdir())
    assert [f.name for f in files] == ["synthetic-val-40-num_classes=3-num_images=12.pt"]  # no temporary left
    image, label = cached[4]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32 and label == 1
    assert cached.classes == ["disk/solid", "square/stripes", "triangle/checker"] and cached.num_classes == 3
    mtime = files[0].stat().st_mtime_ns
    again = cache_dataset("synthetic", "val", short_side=40, **options)
    assert files[0].stat().st_mtime_ns == mtime and torch.equal(again[4][0], image)


def test_cached_pixels_are_the_source_pixels(tmp_path):
    source = SyntheticShapes("train", num_classes=3, num_images=6, image_size=36, transform=to_uint8_tensor())
    path = tmp_path / "shapes.pt"
    cache_dataset(source, short_side=36, path=path, num_workers=0)
    raw = CachedDataset(path)  # no transform: the stored uint8 images
    for index in range(6):
        assert torch.equal(raw[index][0], source[index][0]) and raw[index][1] == source[index][1]


def test_bad_sources_are_explained(tmp_path):
    with pytest.raises(ValueError, match="path="):
        cache_dataset(build_dataset("synthetic", "val", num_images=2))
    with pytest.raises(ValueError, match="to_uint8_tensor"):
        cache_dataset(build_dataset("synthetic", "val", num_images=2), path=tmp_path / "x.pt", num_workers=0)
    assert not list(tmp_path.iterdir())
