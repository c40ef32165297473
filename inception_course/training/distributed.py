"""Several GPUs or nodes through ``torchrun``: process group, DDP wrapping, and small collectives.

Launch the usual way; the trainer notices the environment ``torchrun`` sets (``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``)::

    torchrun --nproc_per_node 8 -m inception_course.train --model inception_v4 --data imagenet --sync-bn

``--batch-size`` is per process, so the global batch is ``batch_size * accum_steps * world_size``
(the learning rate follows it, see ``schedule.scale_lr``). Only rank 0 writes the run directory and
shows progress bars; every rank evaluates its share of the validation set and the counts are summed.
With ``--download`` rank 0 alone fetches the data, while the others wait (:func:`rank_zero_first`).
Every decision that stops a run is taken by all processes together (a NaN on one rank stops all of
them at the same step), so that none is left waiting in a collective for one that has stopped.
"""

from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

T = TypeVar("T")


@dataclass
class DistContext:
    """Where this process stands: ``rank`` of ``world_size`` processes, on ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    owns_group: bool = False  # True when this module created the process group (and must destroy it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> DistContext:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE`` > 1); otherwise a
    single-process context on ``device``. NCCL on CUDA, gloo elsewhere."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistContext(device=device)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank, world_size, local_rank, device, owns)


def wrap_model(model: nn.Module, ctx: DistContext, sync_bn: bool = False) -> nn.Module:
    """``DistributedDataParallel`` around ``model`` (already on ``ctx.device``) when distributed.

    ``sync_bn`` converts batch norm to ``SyncBatchNorm``, which computes batch statistics over the
    global batch: useful when each GPU holds only a few images. It needs CUDA."""
    if not ctx.enabled:
        return model
    if sync_bn:
        if ctx.device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        else:
            warnings.warn("--sync-bn needs CUDA; keeping per-process batch norm", stacklevel=2)
    device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def all_reduce_sum(tensor: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Sum ``tensor`` over all processes (in place; a no-op on one process)."""
    if ctx.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def broadcast_buffers(model: nn.Module, ctx: DistContext) -> None:
    """Copy rank 0's buffers (batch norm's running statistics) to every process, in place.

    Each process updates the running statistics from its own share of the last batch, so after
    training they differ; validated with its own, each rank would score a slightly different
    network than the one rank 0 saves."""
    if ctx.enabled:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def max_over_ranks(value: int, ctx: DistContext) -> int:
    """The largest ``value`` of all processes (so that all of them take the same decision)."""
    if not ctx.enabled:
        return value
    tensor = torch.tensor(value, dtype=torch.long, device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return int(tensor)


def min_over_ranks(value: int, ctx: DistContext) -> int:
    """The smallest ``value`` of all processes."""
    return -max_over_ranks(-value, ctx)


def broadcast_object(obj: Any, ctx: DistContext) -> Any:
    """Rank 0's ``obj`` on every process."""
    if not ctx.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_objects(obj: Any, ctx: DistContext) -> list[Any]:
    """Every process's ``obj``, in rank order, on every process."""
    if not ctx.enabled:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def rank_zero_first(ctx: DistContext, first: Callable[[], T], then: Callable[[], T]) -> T:
    """``first()`` on rank 0; on every other process ``then()``, once rank 0 has finished.

    For work that writes shared files, a download say: rank 0 alone fetches and extracts, the
    others wait and then only read, so no two processes write the same files. If ``first`` raises,
    every process raises the same error (none is left waiting for a rank 0 that has stopped)."""
    if not ctx.enabled:
        return first()
    if ctx.is_main:
        try:
            result = first()
        except Exception as error:
            broadcast_object(_picklable(error), ctx)
            raise
        broadcast_object(None, ctx)
        return result
    error = broadcast_object(None, ctx)
    if error is not None:
        raise error
    return then()


def _picklable(error: Exception) -> Exception:
    """``error`` if it survives pickling (to travel to the other processes), else its message as a RuntimeError."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001  (an exception class whose arguments cannot be rebuilt)
        return RuntimeError(f"{type(error).__name__}: {error}")


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    """Leave the process group if :func:`init_distributed` created it."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()
