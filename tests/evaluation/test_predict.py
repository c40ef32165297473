"""predict() on a PIL image, a file and a tensor, with ImageNet names for 1000-class models."""

import pytest
import torch
from PIL import Image
from torch import nn

from inception_course.data import imagenet_class_names
from inception_course.evaluation import predict


class FavoursRedness(nn.Module):
    """1000 logits: class i scores ``-(i - 999 * redness)^2``; records the batch it was given."""

    default_image_size = 64
    num_classes = 1000

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))  # so predict can find the device

    def forward(self, x):
        self.seen = x
        redness = (x[:, 0].mean(dim=(1, 2)) + 1) / 2  # [-1, 1] -> [0, 1]
        classes = torch.arange(1000, dtype=x.dtype)
        return -self.scale * (classes - 999 * redness[:, None]) ** 2 / 1000


def red_photo() -> Image.Image:
    return Image.new("RGB", (90, 70), (255, 0, 0))


def assert_same_predictions(got, expected):
    """Same class names in the same order, probabilities equal to float precision."""
    assert [name for name, _ in got] == [name for name, _ in expected]
    assert [p for _, p in got] == pytest.approx([p for _, p in expected])


def test_predict_a_pil_image_and_a_path(tmp_path):
    model = FavoursRedness()
    top5 = predict(model, red_photo(), fuse=False)  # unfused: the model records its own input
    assert model.seen.shape == (1, 3, 64, 64)  # resized and centre-cropped to the model's size
    assert top5[0][0] == imagenet_class_names()[999] and len(top5) == 5
    probabilities = [p for _, p in top5]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1
    red_photo().save(tmp_path / "red.png")
    assert_same_predictions(predict(model, tmp_path / "red.png"), top5)
    assert_same_predictions(predict(model, str(tmp_path / "red.png"), topk=2), top5[:2])


def test_predict_a_tensor_and_custom_class_names():
    model = FavoursRedness()
    black = -torch.ones(3, 80, 100)  # already in [-1, 1]
    assert predict(model, black, topk=1)[0][0] == imagenet_class_names()[0]
    names = [f"class {i}" for i in range(1000)]
    assert predict(model, black, topk=1, class_names=names)[0][0] == "class 0"


def test_predict_converts_to_the_normalisation_of_the_weights():
    model = FavoursRedness()
    model.pretrained_cfg = {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
    predict(model, red_photo(), fuse=False)
    assert model.seen[0, 0, 0, 0] == pytest.approx((1 - 0.485) / 0.229)


def test_a_model_of_another_data_set_needs_its_class_names():
    model = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))
    model.num_classes = 10
    with pytest.raises(ValueError, match="pass class_names"):
        predict(model, red_photo())


def test_bad_inputs_get_a_message_that_says_what_to_do(tmp_path):
    model = FavoursRedness()
    with pytest.raises(FileNotFoundError, match="no image file at .*missing.jpg: check the path") as error:
        predict(model, tmp_path / "missing.jpg")
    assert "skip_bad_images" not in str(error.value)
    (tmp_path / "notes.jpg").write_text("not an image")
    with pytest.raises(ValueError, match="cannot read .*notes.jpg as an image"):
        predict(model, tmp_path / "notes.jpg")
    hwc = torch.zeros(70, 90, 3, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"\(3, H, W\), got shape \(70, 90, 3\).*permute\(2, 0, 1\)"):
        predict(model, hwc)
    assert predict(model, hwc.permute(2, 0, 1), topk=1)[0][0] == imagenet_class_names()[0]
    for topk in (0, -1):
        with pytest.raises(ValueError, match=f"topk must be a positive number of classes, got {topk}"):
            predict(model, red_photo(), topk=topk)


def test_predict_runs_the_fused_copy_by_default():
    from inception_course.models import create_model

    model = create_model("googlenet", num_classes=1000, width=0.125, aux_logits=False)
    photo = red_photo()
    fused, plain = predict(model, photo, image_size=64), predict(model, photo, image_size=64, fuse=False)
    assert_same_predictions(fused, plain)
    assert model.training  # its mode is restored and the model itself is not fused
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


@pytest.mark.parametrize("image, seen_rgb", [
    (Image.new("RGBA", (90, 70), (255, 0, 0, 255)), (1, -1, -1)),
    (Image.new("RGBA", (90, 70), (0, 0, 0, 0)), (1, 1, 1)),  # transparent: white, as a viewer shows it
    (Image.new("LA", (90, 70), (0, 255)), (-1, -1, -1)),
    (Image.new("CMYK", (90, 70), (0, 255, 255, 0)), (1, -1, -1)),
    (Image.new("1", (90, 70), 1), (1, 1, 1)),
    (Image.new("RGB", (90, 70), (255, 0, 0)).convert("P"), (1, -1, -1)),
])
def test_pil_images_of_any_mode_are_converted_to_rgb(image, seen_rgb):
    model = FavoursRedness()
    assert len(predict(model, image, fuse=False)) == 5
    assert model.seen.shape == (1, 3, 64, 64)
    assert model.seen[0, :, 32, 32].tolist() == pytest.approx(seen_rgb, abs=0.01)


def test_tensors_of_other_dtypes_are_converted_or_refused_clearly():
    model = FavoursRedness()
    red = torch.zeros(3, 70, 90, dtype=torch.uint8)
    red[0] = 255
    expected = predict(model, red)
    for dtype in (torch.int64, torch.int16):
        assert_same_predictions(predict(model, red.to(dtype)), expected)
    assert_same_predictions(predict(model, red.float() / 127.5 - 1), expected)
    assert_same_predictions(predict(model, (red.double() / 127.5 - 1)), expected)
    with pytest.raises(ValueError, match="integer pixels from 0 to 255, got a torch.int64 tensor with values from 0 to 299"):
        predict(model, torch.arange(3 * 10 * 10).view(3, 10, 10))
    with pytest.raises(ValueError, match="got a torch.bool tensor: for a black-and-white mask"):
        predict(model, torch.ones(3, 8, 8, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"one image \(3, H, W\), got a tensor of shape \(1, 8, 8\)"):
        predict(model, torch.zeros(1, 8, 8))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_nan_image_is_refused_not_given_nan_probabilities(value):
    image = torch.zeros(3, 8, 8)
    image[1, 2, 3] = value
    with pytest.raises(ValueError, match="NaN or infinite values"):
        predict(FavoursRedness(), image)


@pytest.mark.parametrize("size", [0, -5, 1.5])
def test_an_image_size_below_one_is_refused_not_read_as_the_default(size):
    with pytest.raises(ValueError, match=f"image_size must be a positive whole number .*got {size!r}"):
        predict(FavoursRedness(), red_photo(), image_size=size)
    model = FavoursRedness()
    predict(model, red_photo(), image_size=40, fuse=False)
    assert model.seen.shape == (1, 3, 40, 40)


def test_a_fifo_or_folder_is_refused_as_an_image_without_opening_it(tmp_path):
    import os

    os.mkfifo(tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="cannot read .*x.jpg as an image .*not a regular file"):
        predict(FavoursRedness(), tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="not a regular file"):
        predict(FavoursRedness(), tmp_path)
