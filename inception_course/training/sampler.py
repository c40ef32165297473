"""A data order that can be resumed mid-epoch, on one process or many.

``torch.utils.data.DistributedSampler`` draws a fresh permutation per epoch but cannot start part
way through one; ``RandomSampler`` draws from a generator whose state is hard to save. Here the
order of epoch ``e`` is a pure function of ``(seed, e)``, so a checkpoint only needs the epoch and
how many samples this process has consumed.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torch.utils.data import Sampler


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A well-mixed 63-bit seed for ``(seed, epoch, rank)`` (NumPy's ``SeedSequence``)."""
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(2, np.uint64)[0] >> np.uint64(1))


class ResumableSampler(Sampler[int]):
    """Indices of this process's share of an epoch, optionally shuffled, starting at ``start``.

    The epoch's order (a permutation seeded by ``(seed, epoch)`` when ``shuffle``) is padded by
    wrapping around to a multiple of ``num_replicas`` when ``pad`` is on, so every process gets
    as many batches (DistributedDataParallel needs that), then dealt round-robin: process ``r``
    gets positions ``r, r + R, r + 2R...``. With one process this is just the (shuffled) order.

    ``epoch_size`` keeps only the first ``epoch_size`` indices of each epoch's order: every epoch
    then sees a fresh sample of the data set, still a function of ``(seed, epoch)``.
    """

    def __init__(
        self, num_samples: int, shuffle: bool = True, seed: int = 0, num_replicas: int = 1, rank: int = 0, pad: bool = True,
        epoch_size: int | None = None,
    ) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is outside 0..{num_replicas - 1}")
        if epoch_size is not None and not 1 <= epoch_size <= num_samples:
            raise ValueError(f"epoch_size must be between 1 and {num_samples}, got {epoch_size}")
        self.num_samples = num_samples
        self.epoch_size = epoch_size or num_samples
        self.shuffle = shuffle
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.pad = pad
        self.epoch = 0
        self.start = 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Iterate over epoch ``epoch``, skipping this process's first ``start`` samples."""
        self.epoch = epoch
        self.start = start

    def shard(self) -> list[int]:
        """This process's whole share of the current epoch (``start`` not applied)."""
        if self.shuffle:
            g = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
            order = torch.randperm(self.num_samples, generator=g).tolist()
        else:
            order = list(range(self.num_samples))
        order = order[: self.epoch_size]
        if self.pad and len(order) % self.num_replicas:
            extra = self.num_replicas - len(order) % self.num_replicas
            order += (order * (extra // len(order) + 1))[:extra]
        return order[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.shard()[self.start :])

    def __len__(self) -> int:
        if self.pad:
            share = -(-self.epoch_size // self.num_replicas)  # ceil
        else:
            share = len(range(self.rank, self.epoch_size, self.num_replicas))
        return max(0, share - self.start)
