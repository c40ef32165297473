"""evaluate(): averaged crops, counts, limits, resuming, and the synthetic data set end to end."""

from __future__ import annotations

import json

import pytest
import torch
from evaluation_helpers import NUM_CLASSES, BrightnessReader, LabelledByBrightness, tiny_cnn

from inception_course.evaluation import SCHEMES, Ensemble, evaluate, evaluation_dataset, raw_image_transform
from inception_course.evaluation.evaluate import PARTIAL_FORMAT

LABELS = [3, 1, 4, 1, 5, 8, 2, 6, 5, 3]  # below 9: see BrightnessReader


@pytest.mark.parametrize("scheme", ["single", "12", "144"])
def test_known_outputs_give_known_errors_under_every_scheme(scheme):
    data = LabelledByBrightness(LABELS)
    right = evaluate(BrightnessReader(shift=0), data, scheme=scheme, batch_size=50, device="cpu")
    assert (right.top1_error, right.top5_error, right.n_images) == (0.0, 0.0, len(LABELS))
    second_best = evaluate(BrightnessReader(shift=0.6), data, scheme=scheme, batch_size=50, device="cpu")
    assert (second_best.top1_error, second_best.top5_error) == (100.0, 0.0)
    assert second_best.n_crops == {"single": 1, "12": 12, "144": 144}[scheme]


def test_views_are_batched_and_averaged_per_image():
    model = BrightnessReader()  # records what it sees: run it unfused, not a copy
    evaluate(model, LabelledByBrightness(LABELS[:3]), scheme="12", batch_size=24, device="cpu", fuse=False)
    # 24 views per pass = 2 images of 12 views, then the last image alone; all at the model's 32 px.
    assert model.seen_shapes == [(24, 3, 32, 32), (12, 3, 32, 32)]
    model = BrightnessReader()
    evaluate(model, LabelledByBrightness(LABELS[:1]), scheme="144", batch_size=64, device="cpu", fuse=False)
    assert [shape[0] for shape in model.seen_shapes] == [64, 64, 16]  # one image over three passes


def test_144_crop_passes_are_full_across_images():
    model = BrightnessReader(shift=0.6)
    result = evaluate(model, LabelledByBrightness(LABELS[:3]), scheme="144", batch_size=64, device="cpu",
                      ks=(1, 2), fuse=False)
    # 3 x 144 = 432 views: six full passes of 64 (images share passes), then the last 48.
    assert [shape[0] for shape in model.seen_shapes] == [64] * 6 + [48]
    assert (result.top1_error, result.n_images) == (100.0, 3)  # still averaged per image
    assert result.correct[2] == 3


def test_the_fused_copy_gives_the_unfused_results_and_leaves_the_model_alone():
    from inception_course.models import create_model

    data = evaluation_dataset("synthetic", "val", image_size=80, num_images=3, num_classes=NUM_CLASSES)
    model = create_model("inception_v4", num_classes=NUM_CLASSES, width=0.125, depths=(1, 1, 1)).train()
    fused = evaluate(model, data, scheme="12", batch_size=16, device="cpu", crop_size=75, ks=(1, 2, 3))
    plain = evaluate(model, data, scheme="12", batch_size=16, device="cpu", crop_size=75, ks=(1, 2, 3), fuse=False)
    assert fused.correct == plain.correct
    assert model.training and type(model.blocks_a[0]).__name__ == "InceptionA"  # mode restored, not fused


def test_averaging_is_over_softmax_probabilities():
    class MirrorSensitive(torch.nn.Module):
        """Logits [0, 3, 0] when the left half is brighter (un-mirrored views), [6, 0, 5.9] on mirrors.

        Mean logits would pick class 0 (3 vs 1.5 vs 2.95); mean probabilities pick class 1
        (0.45 vs 0.29 vs 0.26), the answer of the paper's softmax averaging.
        """

        default_image_size = 32

        def forward(self, x):
            left_brighter = x[..., :16].mean(dim=(1, 2, 3)) > x[..., 16:].mean(dim=(1, 2, 3))
            return torch.where(left_brighter[:, None], torch.tensor([0.0, 3.0, 0.0]), torch.tensor([6.0, 0.0, 5.9]))

    image = torch.cat([torch.ones(3, 40, 20), -torch.ones(3, 40, 20)], dim=2)  # left half bright

    class OneImage(torch.utils.data.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return image, 1

    assert evaluate(MirrorSensitive(), OneImage(), scheme="12", device="cpu", ks=(1,)).top1_error == 0.0


def test_limit_and_resume_after_an_interruption(tmp_path):
    partial = tmp_path / "partial.json"
    full = evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS), scheme="12", device="cpu", ks=(1, 2))
    with pytest.raises(KeyboardInterrupt):
        evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS, fail_at=6), scheme="12",
                 batch_size=24, device="cpu", ks=(1, 2), resume_path=partial)
    state = json.loads(partial.read_text())
    assert state["format"] == PARTIAL_FORMAT and state["n_done"] == 6  # three whole batches of 2 images
    assert not list(tmp_path.glob(".*tmp"))  # written atomically: no temporary file left behind
    limited = evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS), scheme="12", batch_size=24,
                       device="cpu", ks=(1, 2), resume_path=partial, limit=8)
    assert limited.n_images == 8
    resumed = evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS), scheme="12", batch_size=24,
                       device="cpu", ks=(1, 2), resume_path=partial)
    assert resumed.correct == full.correct and resumed.n_images == len(LABELS)
    with pytest.raises(ValueError, match="other settings"):
        evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS), scheme="144", device="cpu",
                 ks=(1, 2), resume_path=partial)


def test_a_resume_in_another_precision_is_refused_not_mixed(tmp_path):
    partial = tmp_path / "partial.json"
    with pytest.raises(KeyboardInterrupt):
        evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS, fail_at=6), scheme="12",
                 batch_size=24, device="cpu", ks=(1, 2), resume_path=partial)
    assert json.loads(partial.read_text())["precision"] == {"dtype": "float32", "amp": False}
    with pytest.raises(ValueError, match="computing in .*'float32'.* and this call computes in .*'bfloat16'"):
        evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS), scheme="12", batch_size=24,
                 device="cpu", ks=(1, 2), resume_path=partial, bf16=True)
    state = json.loads(partial.read_text())
    del state["precision"]  # a file written before the precision was recorded
    partial.write_text(json.dumps(state))
    resumed = evaluate(BrightnessReader(shift=0.6), LabelledByBrightness(LABELS), scheme="12", batch_size=24,
                       device="cpu", ks=(1, 2), resume_path=partial)
    assert resumed.n_images == len(LABELS)


def test_synthetic_data_set_end_to_end():
    data = evaluation_dataset("synthetic", "val", image_size=48, num_images=4, num_classes=NUM_CLASSES)
    image, _ = data[0]
    assert image.shape == (3, 48, 48) and image.min() >= -1 and image.max() <= 1  # un-cropped, [-1, 1]
    model = tiny_cnn()
    results = {scheme: evaluate(model, data, scheme=scheme, batch_size=48, device="cpu") for scheme in SCHEMES}
    for scheme, result in results.items():
        assert result.n_images == 4 and result.dataset == "SyntheticShapes" and result.scheme == scheme
        assert 0 <= result.top1_error <= 100 and result.top5_error <= result.top1_error
        assert result.provenance["device"] == "cpu" and result.provenance["torch"] == torch.__version__
    assert model.training  # evaluate restores the mode it found
    ensemble = evaluate(Ensemble([model, tiny_cnn()]), data, scheme="single", device="cpu")
    assert ensemble.models == 2


def test_un_converted_images_are_explained():
    data = evaluation_dataset("synthetic", "val", image_size=48, num_images=2)
    data.transform = lambda image: image.numpy()  # not a tensor any more
    with pytest.raises(ValueError, match="raw_image_transform"):
        evaluate(tiny_cnn(), data, device="cpu")
    assert raw_image_transform()(torch.zeros(3, 5, 7, dtype=torch.uint8)).shape == (3, 5, 7)


def test_progress_labels_stay_short():
    from inception_course.evaluation.evaluate import progress_label

    assert progress_label("inception_resnet_v2 (trained in this notebook)", "144") == "inception_resnet_v2 144-crop"
    long = progress_label("v4 + IR-v2 ensemble of four networks from the paper", "single")
    assert len(long) <= 28 + len(" single-crop") and long.endswith("… single-crop")


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_a_batch_size_below_one_is_refused_instead_of_looping_forever(batch_size):
    with pytest.raises(ValueError, match=f"batch_size must be a positive whole number .*got {batch_size!r}"):
        evaluate(BrightnessReader(), LabelledByBrightness(LABELS[:2]), batch_size=batch_size, device="cpu")


def test_a_crop_size_of_zero_is_refused_not_read_as_the_default():
    with pytest.raises(ValueError, match="crop_size must be a positive whole number .*got 0"):
        evaluate(BrightnessReader(), LabelledByBrightness(LABELS[:2]), crop_size=0, device="cpu")
    model = BrightnessReader()
    evaluate(model, LabelledByBrightness(LABELS[:1]), crop_size=20, device="cpu", fuse=False)
    assert model.seen_shapes == [(1, 3, 20, 20)]
    with pytest.raises(ValueError, match="limit must be a number of images"):
        evaluate(BrightnessReader(), LabelledByBrightness(LABELS[:2]), limit=-1, device="cpu")


@pytest.mark.parametrize("bad_label", [NUM_CLASSES, -1])
def test_labels_the_network_cannot_output_are_refused(bad_label):
    labels = [3, 1, bad_label, 4]
    with pytest.raises(ValueError, match=f"image 2 of the data set has label {bad_label}, but the network has "
                                         f"{NUM_CLASSES} classes"):
        evaluate(BrightnessReader(), LabelledByBrightness(labels), device="cpu", batch_size=1)
    # The largest and the smallest valid labels are accepted.
    result = evaluate(BrightnessReader(), LabelledByBrightness([0, NUM_CLASSES - 1]), device="cpu")
    assert result.n_images == 2 and result.top1_error == 0.0


@pytest.mark.parametrize("content", ["{\"format\": ", "[1, 2]", "{}", "\"text\"", "{\"format\": \"%s\"}" % PARTIAL_FORMAT])
def test_a_corrupt_resume_file_is_named(tmp_path, content):
    partial = tmp_path / "partial.json"
    partial.write_text(content)
    with pytest.raises(ValueError, match="partial.json is not a partial evaluation .*delete the file"):
        evaluate(BrightnessReader(), LabelledByBrightness(LABELS[:2]), device="cpu", resume_path=partial)
    assert partial.read_text() == content  # left as it was for the user to look at


class WithNaNImage(LabelledByBrightness):
    def __getitem__(self, index):
        image, label = super().__getitem__(index)
        return (torch.full_like(image, float("nan")) if index == 1 else image), label


def test_an_image_with_nan_pixels_is_named_not_counted_as_an_error():
    with pytest.raises(ValueError, match="image 1 of the data set got NaN or infinite scores"):
        evaluate(BrightnessReader(), WithNaNImage(LABELS[:3]), device="cpu", fuse=False)
