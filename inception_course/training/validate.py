"""End-of-epoch validation: loss and top-1 / top-5 error, summed on the device.

Counts come from :func:`inception_course.evaluation.metrics.topk_hits`, which keeps them on the
device, so nothing synchronises with the host until the epoch's end.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from ..evaluation.metrics import topk_hits
from .distributed import DistContext, all_reduce_sum


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    prepare: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    autocast: Callable[[], AbstractContextManager],
    ctx: DistContext,
) -> dict[str, float]:
    """Mean cross-entropy (no label smoothing) and top-1 / top-5 error over ``batches``.

    ``prepare`` moves a batch to the device; ``autocast`` gives the precision context. Sums stay
    on the device until the end, then are added over processes. The model is left in eval mode.
    """
    model.eval()
    # Float64 sums stay exact for any data set size, but Apple's GPUs (MPS) have no float64:
    # there float32, exact for counts up to 2^24 images.
    dtype = torch.float32 if ctx.device.type == "mps" else torch.float64
    totals = torch.zeros(4, dtype=dtype, device=ctx.device)  # loss sum, images, top-1, top-5 hits
    for images, targets in batches:
        images, targets = prepare(images, targets)
        with autocast():
            logits = model(images)
        totals[0] += F.cross_entropy(logits.float(), targets, reduction="sum")
        totals[1] += targets.numel()
        totals[2:] += topk_hits(logits, targets)
    all_reduce_sum(totals, ctx)
    loss_sum, n, top1, top5 = totals.tolist()
    if n == 0:
        raise ValueError("the validation set is empty")
    return {"loss": loss_sum / n, "top1_err": 1 - top1 / n, "top5_err": 1 - top5 / n}
