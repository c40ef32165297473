"""The embedded synthetic set: deterministic, well-formed, and learnable by a small CPU network."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inception_course.data import SyntheticShapes, build_dataset


def test_same_seed_gives_same_images_across_constructions():
    first = build_dataset("synthetic", "train", image_size=75, num_images=20, seed=3, level="hard")
    second = build_dataset("synthetic", "train", image_size=75, num_images=20, seed=3, level="hard")
    assert all(torch.equal(first[i][0], second[i][0]) and first[i][1] == second[i][1] for i in range(20))
    other_seed = build_dataset("synthetic", "train", image_size=75, num_images=20, seed=4, level="hard")
    other_split = build_dataset("synthetic", "val", image_size=75, num_images=20, seed=3, level="hard")
    assert not torch.equal(first[0][0], other_seed[0][0]) and not torch.equal(first[0][0], other_split[0][0])


@pytest.mark.parametrize("cache_bytes", [0, 10**9])  # too small to keep anything; room for all
def test_a_second_read_gives_the_pixels_drawn_first(monkeypatch, cache_bytes):
    monkeypatch.setattr("inception_course.data.synthetic.CACHE_BYTES", cache_bytes)
    data = SyntheticShapes("train", num_images=6, image_size=40, seed=1)
    first = [data[i][0].clone() for i in range(6)]
    data[2][0].fill_(0.0)  # a caller changing an item in place does not change the next read
    assert all(torch.equal(data[i][0], first[i]) for i in range(6))
    assert torch.equal(first[4], SyntheticShapes("train", num_images=6, image_size=40, seed=1)[4][0])
    assert (data._drawn is None) == (cache_bytes == 0)  # noqa: SLF001


@pytest.mark.parametrize("size", [75, 299])
@pytest.mark.parametrize("level", ["easy", "hard"])
def test_items_are_signed_unit_images_with_balanced_labels(size, level):
    data = SyntheticShapes(num_classes=7, num_images=14, image_size=size, level=level)
    images, labels = zip(*(data[i] for i in range(len(data))))
    batch = torch.stack(images)
    assert batch.shape == (14, 3, size, size) and batch.dtype == torch.float32
    assert -1 <= batch.min() < batch.max() <= 1
    assert sorted(labels) == sorted(list(range(7)) * 2)
    assert data.num_classes == len(data.classes) == 7 and data.classes[0] == "disk/solid"


def test_class_pairs_are_distinct_and_bad_options_rejected():
    assert len(set(SyntheticShapes(num_classes=28, num_images=1).classes)) == 28
    for bad in [dict(num_classes=29), dict(level="medium"), dict(image_size=8), dict(split="test")]:
        with pytest.raises(ValueError):
            SyntheticShapes(**bad)


def test_fast_mode_defaults_are_small():
    data = build_dataset("synthetic", "val")  # the test suite runs in fast mode
    assert data.image_size == 75 and len(data) == 160


@pytest.fixture
def one_thread():
    """Tiny convolutions run faster on one thread, and far faster when other jobs share the CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_small_network_learns_well_above_chance(one_thread):
    """4 classes (chance 25%), 32 px, a 4-layer CNN, 10 short epochs on the CPU."""
    torch.manual_seed(0)
    options = dict(image_size=32, num_classes=4)
    train = build_dataset("synthetic", "train", num_images=1500, **options)
    val = build_dataset("synthetic", "val", num_images=300, **options)
    x, y = (torch.stack(t) if i == 0 else torch.tensor(t) for i, t in enumerate(zip(*train)))
    x_val, y_val = (torch.stack(t) if i == 0 else torch.tensor(t) for i, t in enumerate(zip(*val)))

    def down(c_in, c_out):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())

    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), down(16, 32), down(32, 64), down(64, 64),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 4),
    )  # fmt: skip
    epochs, batch = 10, 32
    optimizer = torch.optim.Adam(net.parameters(), 4e-3)
    steps = epochs * -(-len(x) // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    for _ in range(epochs):
        for index in torch.randperm(len(x)).split(batch):
            loss = nn.functional.cross_entropy(net(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(x_val).argmax(1) == y_val).float().mean().item()
    assert accuracy >= 0.40, f"validation accuracy {accuracy:.2f} (chance 0.25)"
