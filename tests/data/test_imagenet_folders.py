"""ImageNet / ImageNet-100 from user folders: accepted layouts, layout errors, unreadable images."""

from __future__ import annotations

import pytest

from inception_course.data import build_dataset, imagenet100_wnids, imagenet_wnids
from inception_course.data.errors import BadImageError, DatasetNotFoundError


@pytest.fixture(scope="module")
def imagenet_root(tmp_path_factory, class_tree):
    """A fake ImageNet with one tiny JPEG per class in ``<data root>/imagenet/val/<wnid>/``."""
    root = tmp_path_factory.mktemp("data_root") / "imagenet"
    class_tree(root / "val", imagenet_wnids())
    return root


def test_imagenet_reads_class_folders_in_class_index_order(imagenet_root):
    val = build_dataset("imagenet", "val", root=imagenet_root, image_size=32)
    assert len(val) == 1000 and val.num_classes == 1000
    image, label = val[999]
    assert image.shape == (3, 32, 32) and label == 999 and val.classes[0] == "tench"


def test_imagenet_found_under_data_root(imagenet_root, monkeypatch):
    monkeypatch.setenv("INCEPTION_COURSE_DATA", str(imagenet_root.parent))
    assert len(build_dataset("imagenet100", "val", image_size=32)) == 100


def test_imagenet100_reads_its_classes_in_place(imagenet_root):
    val = build_dataset("imagenet100", "val", root=imagenet_root, image_size=32)
    assert len(val) == 100 and val.num_classes == 100
    assert sorted({path.split("/")[-2] for path, _ in val.samples}) == imagenet100_wnids()
    assert all(str(imagenet_root) in path for path, _ in val.samples)  # nothing copied


def test_missing_imagenet_lists_where_it_looked(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        build_dataset("imagenet", "train", root=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "train") in message and str(tmp_path / "imagenet" / "train") in message
    assert "<wnid>" in message


def test_missing_class_folders_are_listed(tmp_path, class_tree):
    class_tree(tmp_path / "train", imagenet_wnids()[:990])
    with pytest.raises(DatasetNotFoundError, match="lacks 10 of the 1000.*n15075141"):
        build_dataset("imagenet", "train", root=tmp_path)


def test_flat_validation_folder_gets_sorting_advice(tmp_path):
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "ILSVRC2012_val_00000001.JPEG").write_bytes(b"")
    with pytest.raises(DatasetNotFoundError, match="directly.*torchvision.datasets.ImageNet"):
        build_dataset("imagenet", "val", root=tmp_path)


def test_unreadable_image_is_named_or_skipped(tmp_path, class_tree):
    wnids = imagenet100_wnids()
    class_tree(tmp_path / "train", wnids)
    bad = tmp_path / "train" / wnids[0] / f"{wnids[0]}_0.JPEG"
    bad.write_bytes(b"this is not a JPEG")
    with pytest.raises(BadImageError, match=str(bad)):
        build_dataset("imagenet100", "train", root=tmp_path, image_size=32)[0]
    skipping = build_dataset("imagenet100", "train", root=tmp_path, image_size=32, skip_bad_images=True)
    with pytest.warns(UserWarning, match=str(bad)):
        image, label = skipping[0]
    assert label == 1 and image.shape == (3, 32, 32)
