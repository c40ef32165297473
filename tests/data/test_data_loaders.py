"""build_loader: seeded shuffling, and the shared-memory fallback simulated with a tiny /dev/shm."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.utils.data import SequentialSampler, TensorDataset

from inception_course.data import build_dataset, build_loader
from inception_course.data import loaders


def small_dataset():
    return TensorDataset(torch.zeros(64, 3, 8, 8), torch.arange(64))


def test_too_little_shared_memory_falls_back_to_main_process(monkeypatch):
    monkeypatch.setattr(loaders, "shm_free_bytes", lambda path=loaders.SHM_PATH: 1024)
    with pytest.warns(UserWarning, match="shared memory.*num_workers=0"):
        loader = build_loader(small_dataset(), batch_size=16, shuffle=True, num_workers=2)
    assert loader.num_workers == 0
    assert len(list(loader)) == 4


def test_enough_shared_memory_keeps_workers(monkeypatch):
    monkeypatch.setattr(loaders, "shm_free_bytes", lambda path=loaders.SHM_PATH: 2**40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loader = build_loader(small_dataset(), batch_size=16, shuffle=False, num_workers=2)
    assert loader.num_workers == 2 and loader.persistent_workers


def test_workers_that_fit_without_shm_to_check():
    assert loaders.workers_that_fit(4, sample_bytes=10**6, batch_size=256, free_bytes=None) == 4


def test_seed_fixes_the_order():
    data = build_dataset("synthetic", "train", image_size=32, num_images=40)

    def first_labels(seed):
        return next(iter(build_loader(data, batch_size=8, shuffle=True, num_workers=0, seed=seed)))[1]

    assert torch.equal(first_labels(0), first_labels(0))
    assert not torch.equal(first_labels(0), first_labels(1))


def test_sampler_and_shuffle_are_exclusive():
    data = small_dataset()
    with pytest.raises(ValueError, match="sampler"):
        build_loader(data, batch_size=4, shuffle=True, sampler=SequentialSampler(data), num_workers=0)


class RandomDraws(torch.utils.data.Dataset):
    """Each item is what a random augmentation would draw: one number from ``random`` and one from torch."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> torch.Tensor:
        import random

        return torch.tensor([random.random(), torch.rand(()).item()])


def test_each_rank_draws_its_own_augmentations_reproducibly(monkeypatch):
    monkeypatch.setattr(loaders, "shm_free_bytes", lambda path=loaders.SHM_PATH: 2**40)

    def draws(rank):
        loader = build_loader(RandomDraws(), batch_size=4, shuffle=False, num_workers=1, seed=7, rank=rank)
        return next(iter(loader))

    rank0, rank1 = draws(0), draws(1)
    assert not torch.isclose(rank0, rank1).any()  # neither generator repeats the other rank's draws
    assert torch.equal(draws(1), rank1)  # and each rank's draws are fixed by the seed
