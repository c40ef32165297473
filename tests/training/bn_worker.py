"""One process of the buffer broadcast test: ``python bn_worker.py OUT`` with the variables torchrun
would set. Each rank gives its batch norm its own running statistics (what a last training step on
its own share of the batch leaves), broadcasts rank 0's as the trainer does before validating, and
saves what it would validate with."""

import sys

import torch
import torch.distributed as dist
from torch import nn

from inception_course.training.distributed import DistContext, broadcast_buffers

if __name__ == "__main__":
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    model = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 3))
    model[0].running_mean.fill_(float(rank))
    model[0].running_var.fill_(1.0 + rank)
    model[0].num_batches_tracked.fill_(10 + rank)
    broadcast_buffers(model, DistContext(rank=rank, world_size=dist.get_world_size()))
    torch.save(dict(model.named_buffers()), f"{sys.argv[1]}/rank{rank}.pt")
    dist.destroy_process_group()
