"""The shipped class lists: ImageNet's 1000 classes in class-index order and CMC's ImageNet-100."""

from __future__ import annotations

import pytest
from torchvision.models._meta import _IMAGENET_CATEGORIES

from inception_course.data import classes, imagenet100_wnids, imagenet_class_names, imagenet_wnids


def test_imagenet_wnids_are_the_sorted_1000():
    wnids = imagenet_wnids()
    assert len(set(wnids)) == 1000 and wnids == sorted(wnids)
    assert (wnids[0], wnids[1], wnids[999]) == ("n01440764", "n01443537", "n15075141")


def test_names_follow_torchvision_class_index():
    assert imagenet_class_names() == list(_IMAGENET_CATEGORIES)


def test_imagenet100_is_a_subset_and_fast_ai_subsets_too():
    subset = imagenet100_wnids()
    assert len(set(subset)) == 100 and set(subset) <= set(imagenet_wnids())
    assert set(classes.IMAGENETTE_WNIDS + classes.IMAGEWOOF_WNIDS) <= set(imagenet_wnids())


def test_missing_shipped_file_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(classes, "SHIPPED_DATA_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="imagenet100.txt.*repository"):
        imagenet100_wnids()
