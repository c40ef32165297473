"""DataLoader settings that suit both Colab (2 cores, small ``/dev/shm``) and bigger machines.

Worker processes hand batches to the main process through shared memory (``/dev/shm`` on Linux).
When it is too small (Docker's 64 MB default, some Colab runtimes) PyTorch workers die with a "bus
error"; :func:`build_loader` checks first and falls back to loading in the main process with a
warning instead.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

SHM_PATH = "/dev/shm"
PREFETCH_FACTOR = 2
MAX_DEFAULT_WORKERS = 8


def available_cpus() -> int:
    """CPU cores this process may use (respects container/affinity limits where the OS tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_num_workers() -> int:
    """One worker per available core, at most 8 (2 on Colab)."""
    return min(available_cpus(), MAX_DEFAULT_WORKERS)


def shm_free_bytes(path: str = SHM_PATH) -> int | None:
    """Free bytes of the shared-memory file system, or ``None`` where there is none to check."""
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def shm_needed_bytes(sample_bytes: int, batch_size: int, num_workers: int) -> int:
    """Shared memory the workers' batches in flight may occupy (with a 2x margin)."""
    return 2 * sample_bytes * batch_size * num_workers * PREFETCH_FACTOR


def workers_that_fit(num_workers: int, sample_bytes: int, batch_size: int, free_bytes: int | None) -> int:
    """``num_workers``, or 0 with a warning when their batches would not fit in ``free_bytes``."""
    if free_bytes is None:
        return num_workers
    needed = shm_needed_bytes(sample_bytes, batch_size, num_workers)
    if needed <= free_bytes:
        return num_workers
    warnings.warn(
        f"only {free_bytes / 2**20:.0f} MiB of shared memory ({SHM_PATH}) for {num_workers} loader "
        f"workers that may need {needed / 2**20:.0f} MiB: loading in the main process instead "
        "(num_workers=0, slower). Enlarge /dev/shm (docker run --shm-size=2g) or lower batch_size "
        "to use workers.",
        stacklevel=3,
    )
    return 0


def _sample_bytes(dataset: Dataset) -> int:
    image = dataset[0][0]
    return image.element_size() * image.nelement() if isinstance(image, torch.Tensor) else 0


def _seed_worker(worker_id: int) -> None:
    """Give NumPy and ``random`` in each worker a seed derived from PyTorch's per-worker seed.

    Workers ignore Ctrl-C (a terminal sends it to every process of the group): the main process
    decides how to stop, e.g. the trainer checkpoints first, and shuts its workers down itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def build_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    num_workers: int | None = None,
    sampler: Sampler | None = None,
    drop_last: bool = False,
    seed: int = 0,
    rank: int = 0,
) -> DataLoader:
    """A DataLoader with settings that fit the machine.

    Args:
        num_workers: loader processes; default one per available core (max 8). Reduced to 0 with a
            warning when shared memory is too small for them.
        sampler: replaces shuffling (e.g. a ``DistributedSampler``); ``shuffle`` must then be False.
        seed: fixes the shuffling order and the workers' random augmentations.
        rank: the process's rank in a distributed run, folded into the workers' seeds so that
            each process draws its own augmentations (with one seed for all, every rank would
            crop and flip its images exactly alike).

    Workers stay alive between epochs (``persistent_workers``), and batches go to pinned memory
    when CUDA is available, so copies to the GPU can overlap computation.
    """
    if sampler is not None and shuffle:
        raise ValueError("pass either shuffle=True or a sampler, not both")
    workers = default_num_workers() if num_workers is None else num_workers
    if workers > 0:
        workers = workers_that_fit(workers, _sample_bytes(dataset), batch_size, shm_free_bytes())
    extra = {"persistent_workers": True, "prefetch_factor": PREFETCH_FACTOR} if workers > 0 else {}
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        num_workers=workers,
        pin_memory=torch.cuda.is_available(),
        drop_last=drop_last,
        worker_init_fn=_seed_worker,
        generator=torch.Generator().manual_seed(seed + rank),  # rank 0: the single-process seed
        **extra,
    )
