"""Fashion-MNIST read from IDX files the tests write themselves (nothing real is needed)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from inception_course.data import FashionMNIST, build_dataset
from inception_course.data import fashion_mnist as fm
from inception_course.data.errors import DatasetNotFoundError
from inception_course.training import Trainer, TrainConfig
from inception_course.training.sampler import ResumableSampler


def write_idx(path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


def make_fashion_folder(folder, n_train: int = 40, n_val: int = 12, gz: bool = True, seed: int = 0):
    """Four IDX files of random 28 x 28 images and labels 0-9; returns the arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("val", n_val)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        image_stem, label_stem = fm.FILES[split]
        suffix = ".gz" if gz else ""
        write_idx(folder / (image_stem + suffix), images, gz)
        write_idx(folder / (label_stem + suffix), labels, gz)
        arrays[split] = (images, labels)
    return arrays


@pytest.fixture
def no_debian_copy(monkeypatch, tmp_path):
    """Hide a real installed copy so that only the test's files are found."""
    monkeypatch.setattr(fm, "DEBIAN_FOLDER", tmp_path / "no-debian")


@pytest.mark.parametrize("gz", [True, False])
def test_reads_idx_files_upscaled_to_three_channels_in_signed_unit_range(tmp_path, no_debian_copy, gz):
    arrays = make_fashion_folder(tmp_path / "fm", gz=gz)
    train = build_dataset("fashion_mnist", "train", image_size=75, folder=tmp_path / "fm")
    assert isinstance(train, FashionMNIST) and len(train) == 40 and train.num_classes == 10
    image, label = train[3]
    assert image.shape == (3, 75, 75) and image.dtype == torch.float32
    assert torch.equal(image[0], image[1]) and torch.equal(image[0], image[2])
    assert -1.0 <= image.min() and image.max() <= 1.0
    assert label == int(arrays["train"][1][3])
    # at 28 px nothing is interpolated: the pixels are exactly the file's, rescaled
    same = build_dataset("fashion_mnist", "train", image_size=28, folder=tmp_path / "fm")[3][0][0]
    assert torch.allclose(same, torch.from_numpy(arrays["train"][0][3]).float() / 127.5 - 1)


def test_found_under_the_data_root_and_the_validation_part_is_fixed(tmp_path, no_debian_copy):
    arrays = make_fashion_folder(tmp_path / "root" / "fashion_mnist")
    val = build_dataset("fashion_mnist", "val", root=tmp_path / "root", image_size=32, val_images=5)
    assert len(val) == 5 and [val[i][1] for i in range(5)] == arrays["val"][1][:5].tolist()
    train = build_dataset("fashion_mnist", "train", root=tmp_path / "root", image_size=32, train_images=16)
    assert len(train) == 40 and train.epoch_size == 16  # all 40 images, 16 drawn per epoch


def test_missing_files_name_every_place_and_what_to_do(tmp_path, no_debian_copy):
    with pytest.raises(DatasetNotFoundError, match="apt install dataset-fashion-mnist") as info:
        build_dataset("fashion_mnist", "train", root=tmp_path)
    assert str(tmp_path / "fashion_mnist") in str(info.value) and "download=True" in str(info.value)


def test_corrupt_or_truncated_files_are_refused_with_advice(tmp_path, no_debian_copy):
    make_fashion_folder(tmp_path / "fm", gz=False)
    path = tmp_path / "fm" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetNotFoundError, match="truncated"):
        build_dataset("fashion_mnist", "train", folder=tmp_path / "fm")
    path.write_bytes(b"GIF89a not an idx file")
    with pytest.raises(DatasetNotFoundError, match="not an IDX file"):
        build_dataset("fashion_mnist", "train", folder=tmp_path / "fm")


@pytest.mark.parametrize("option", [{"train_images": 0}, {"val_images": 10_001}, {"train_images": -3}])
def test_image_counts_out_of_range_are_refused(tmp_path, no_debian_copy, option):
    make_fashion_folder(tmp_path / "fm")
    with pytest.raises(ValueError, match="must be between 1 and"):
        build_dataset("fashion_mnist", "train", folder=tmp_path / "fm", **option)


def test_download_goes_through_torchvision(tmp_path, no_debian_copy, monkeypatch):
    calls = []

    def fake_download(root):
        calls.append(root)
        make_fashion_folder(tmp_path / "FashionMNIST" / "raw")
        return tmp_path / "FashionMNIST" / "raw"

    monkeypatch.setattr(fm, "_download", fake_download)
    data = build_dataset("fashion_mnist", "train", root=tmp_path, download=True, image_size=32)
    assert calls == [tmp_path] and len(data) == 40
    assert fm.find_folder(tmp_path) == tmp_path / "FashionMNIST" / "raw"  # found there next time, no download


def test_sampler_draws_a_fresh_sample_each_epoch_as_a_function_of_seed_and_epoch():
    sampler = ResumableSampler(100, seed=3, epoch_size=10)
    epochs = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        epochs.append(list(sampler))
    assert all(len(e) == 10 == len(sampler) for e in epochs) and len({tuple(e) for e in epochs}) == 3
    again = ResumableSampler(100, seed=3, epoch_size=10)
    again.set_epoch(1, start=4)
    assert list(again) == epochs[1][4:]  # a resumed epoch continues the same sample
    with pytest.raises(ValueError, match="epoch_size"):
        ResumableSampler(10, epoch_size=11)


def test_trainer_resumes_a_fashion_run_bit_identically(tmp_path, no_debian_copy):
    make_fashion_folder(tmp_path / "fm", n_train=48, n_val=8)
    settings = dict(
        model="inception_v4", data="fashion_mnist", width=0.0625, depths=(1, 1, 1), image_size=75, batch_size=4,
        epochs=2, num_workers=0, log_every=1, ema_decay=0.9, precision="fp32", device="cpu",
        data_kwargs={"folder": str(tmp_path / "fm"), "train_images": 16, "val_images": 8},
    )
    whole = Trainer(TrainConfig(out=str(tmp_path / "whole"), **settings))
    assert whole.steps_per_epoch == 4  # 16 of the 48 images an epoch
    whole.fit()
    first = Trainer(TrainConfig(out=str(tmp_path / "split"), **{**settings, "epochs": 1}))
    first.fit()
    second = Trainer(TrainConfig(out=str(tmp_path / "split"), resume=True, **settings))
    second.fit()
    for a, b in zip(whole.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(a, b)
    config = json.loads((tmp_path / "whole" / "config.json").read_text())
    assert config["config"]["data"] == "fashion_mnist"
