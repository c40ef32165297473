"""Several GPUs or nodes through ``torchrun``: process group, DDP wrapping, and small collectives.

Launch the usual way; the trainer notices the environment ``torchrun`` sets (``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``)::

    torchrun --nproc_per_node 8 -m inception_course.train --model inception_v4 --data imagenet --sync-bn

``--batch-size`` is per process, so the global batch is ``batch_size * accum_steps * world_size``
(the learning rate follows it, see ``schedule.scale_lr``). Only rank 0 writes the run directory and
shows progress bars; every rank evaluates its share of the validation set and the counts are summed.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


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


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    """Leave the process group if :func:`init_distributed` created it."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()
