"""ImageNet / ImageNet-100 from user folders: accepted layouts, layout errors, unreadable images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inception_course.data import build_dataset, imagenet100_wnids, imagenet_wnids
from inception_course.data.errors import BadImageError, DatasetNotFoundError
from inception_course.data.folder import load_rgb


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


@pytest.mark.parametrize("mode, pixels", [
    ("16-bit PNG", np.array([[0, 257 * 128], [65535, 257 * 64]], dtype=np.uint16)),
    ("float TIFF in [0, 1]", np.array([[0.0, 128 / 255], [1.0, 64 / 255]], dtype=np.float32)),
    ("float TIFF in [0, 255]", np.array([[0.0, 128.0], [255.0, 64.0]], dtype=np.float32)),
])
def test_high_bit_depth_images_keep_their_grey_levels(tmp_path, mode, pixels):
    path = tmp_path / ("image.png" if "PNG" in mode else "image.tif")
    Image.fromarray(pixels).save(path)
    rgb = np.asarray(load_rgb(str(path)))
    assert rgb.shape == (2, 2, 3) and (rgb == rgb[..., :1]).all()
    assert rgb[..., 0].tolist() == [[0, 128], [255, 64]]


def test_empty_class_folder_is_named_in_a_warning(tmp_path, class_tree):
    wnids = imagenet100_wnids()
    class_tree(tmp_path / "train", wnids[1:])
    (tmp_path / "train" / wnids[0]).mkdir()
    with pytest.warns(UserWarning, match=f"class folder {tmp_path / 'train' / wnids[0]} holds no images"):
        assert len(build_dataset("imagenet100", "train", root=tmp_path, image_size=32)) == 99


def test_decompression_bomb_is_a_bad_image_that_can_be_skipped(tmp_path, class_tree, monkeypatch):
    wnids = imagenet100_wnids()
    class_tree(tmp_path / "train", wnids)
    bomb = tmp_path / "train" / wnids[0] / f"{wnids[0]}_0.JPEG"
    Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8)).save(bomb, format="JPEG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 64 x 64 > 2 x 1000: PIL's bomb error; 24 x 32 is fine
    with pytest.raises(BadImageError, match=str(bomb)):
        build_dataset("imagenet100", "train", root=tmp_path, image_size=32)[0]
    skipping = build_dataset("imagenet100", "train", root=tmp_path, image_size=32, skip_bad_images=True)
    with pytest.warns(UserWarning, match=str(bomb)):
        assert skipping[0][1] == 1


def test_a_fifo_named_like_an_image_is_a_bad_image_never_opened(tmp_path):
    import os
    import signal

    from inception_course.data.folder import FolderDataset

    fifo, good = tmp_path / "x.jpg", tmp_path / "y.png"
    os.mkfifo(fifo)
    Image.new("RGB", (8, 6), (0, 255, 0)).save(good)

    def give_up(*_):  # opening a FIFO with no writer blocks forever: fail instead of hanging
        pytest.fail("load_rgb opened the FIFO")  # not an OSError, which load_rgb would catch

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(5)
    try:
        with pytest.raises(BadImageError, match=f"cannot read image {fifo} .*not a regular file"):
            load_rgb(str(fifo))
        with pytest.raises(BadImageError, match="not a regular file"):
            load_rgb(str(tmp_path))  # a folder named like an image
        data = FolderDataset([(str(fifo), 0), (str(good), 1)], ["a", "b"], skip_bad_images=True)
        with pytest.warns(UserWarning, match=f"skipping unreadable image.*{fifo}"):
            image, label = data[0]
        assert label == 1 and image.size == (8, 6)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("mode, colour, expected", [
    ("RGBA", (255, 0, 0, 255), (255, 0, 0)),
    ("RGBA", (0, 0, 0, 0), (255, 255, 255)),  # transparent: laid on white, not the hidden black
    ("LA", (0, 255), (0, 0, 0)),
    ("LA", (0, 0), (255, 255, 255)),
    ("CMYK", (0, 255, 255, 0), (255, 0, 0)),
    ("1", 1, (255, 255, 255)),
    ("P", 0, (0, 0, 0)),
])
def test_every_image_mode_is_read_as_rgb(tmp_path, mode, colour, expected):
    path = tmp_path / ("image.tif" if mode == "CMYK" else "image.png")
    Image.new(mode, (5, 4), colour).save(path)
    rgb = np.asarray(load_rgb(str(path)))
    assert rgb.shape == (4, 5, 3) and (rgb == expected).all()


def test_the_exif_orientation_is_applied(tmp_path):
    photo = Image.new("RGB", (6, 4), (0, 0, 255))
    photo.paste((255, 0, 0), (0, 0, 3, 4))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    photo.save(tmp_path / "phone.png", exif=exif)
    upright = np.asarray(load_rgb(str(tmp_path / "phone.png")))
    assert upright.shape == (6, 4, 3)  # shown as taken: portrait
    assert (upright[:3, :, 0] == 255).all() and (upright[3:, :, 2] == 255).all()  # the red half is on top
