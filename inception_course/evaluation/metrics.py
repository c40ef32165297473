"""Top-k error, the ImageNet metric of every table in the paper.

A prediction is top-k correct when the true class is among the k highest scores. The paper reports
*errors* in percent (top-1 and top-5); accuracy is ``100 - error``. :func:`topk_correct` counts, so
that :func:`~inception_course.evaluation.evaluate` can add counts over batches (averaging per-batch
percentages would weight a short last batch wrongly); :func:`topk_hits` keeps the counts on the
device for the training loop.
"""

from __future__ import annotations

from typing import Sequence

import torch

DEFAULT_KS = (1, 5)


def topk_hits(scores: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = DEFAULT_KS) -> torch.Tensor:
    """How many rows of ``scores`` (N, classes) have their ``targets`` (N,) among the top k, one count
    per k in ``ks``, as a tensor on ``scores``' device.

    Keeping the counts on the device lets a training loop add them up without a host-device
    synchronisation per batch. ``scores`` may be logits or probabilities (the order is the same).
    A k above the number of classes counts every row as correct, as it should.
    """
    if scores.dim() != 2 or targets.shape != scores.shape[:1]:
        raise ValueError(
            f"expected scores (N, classes) and targets (N,), got {tuple(scores.shape)} and {tuple(targets.shape)}"
        )
    if not ks or min(ks) < 1:
        raise ValueError(f"ks must be positive integers, got {tuple(ks)}")
    top = scores.topk(min(max(ks), scores.shape[1]), dim=1).indices
    hits = top == targets.to(top.device).unsqueeze(1)  # (N, kmax): where the true class sits
    return torch.stack([hits[:, :k].any(dim=1).sum() for k in ks])


def topk_correct(scores: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = DEFAULT_KS) -> dict[int, int]:
    """:func:`topk_hits` as Python ints, ``{k: count}``."""
    return dict(zip(ks, topk_hits(scores, targets, ks).tolist()))


def topk_error(scores: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = DEFAULT_KS) -> dict[int, float]:
    """Top-k error in percent for each k in ``ks``: ``{1: 21.2, 5: 5.6}``-style."""
    if len(targets) == 0:
        raise ValueError("topk_error needs at least one prediction")
    correct = topk_correct(scores, targets, ks)
    return {k: 100.0 * (1 - count / len(targets)) for k, count in correct.items()}


def topk_accuracy(scores: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = DEFAULT_KS) -> dict[int, float]:
    """Top-k accuracy in percent for each k in ``ks`` (``100 - topk_error``)."""
    return {k: 100.0 - error for k, error in topk_error(scores, targets, ks).items()}
