"""The paper's learning-rate schedule: 0.045, times 0.94 every two epochs, plus an optional warm-up.

The schedule is a function of the optimiser step, so runs with any batch size decay at the same
*epochs*. It is wrapped in ``torch.optim.lr_scheduler.LambdaLR`` so that its position is saved and
restored with the checkpoint like any PyTorch scheduler.

Other batch sizes: 0.045 was tuned for a batch of 32 images per update (one replica in
Inception-v3's asynchronous training; the Inception-v4 paper gives no batch size). :func:`scale_lr`
applies the linear scaling rule of Goyal et al. 2017 ("Accurate, Large Minibatch SGD"): ``k`` times
the batch, ``k`` times the learning rate. It fits here because with ``eps = 1.0`` the TensorFlow-
style RMSProp update is close to momentum SGD's (see ``optim.py``). Far above 32 (say 1024) pair it
with a few epochs of warm-up, or choose ``"sqrt"`` scaling, which is gentler; ``"none"`` keeps 0.045.
"""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

LR_SCALING_RULES = ("linear", "sqrt", "none")


def scale_lr(base_lr: float, batch_size: int, reference_batch_size: int = 32, rule: str = "linear") -> float:
    """``base_lr`` (tuned at ``reference_batch_size``) adapted to a global ``batch_size``."""
    ratio = batch_size / reference_batch_size
    if rule == "linear":
        return base_lr * ratio
    if rule == "sqrt":
        return base_lr * math.sqrt(ratio)
    if rule == "none":
        return base_lr
    raise ValueError(f"unknown lr scaling rule {rule!r}; choose one of {', '.join(LR_SCALING_RULES)}")


class PaperLRFactor:
    """Multiplier of the base learning rate at optimiser step ``step`` (0-based).

    ``decay ** floor(epoch / decay_epochs)`` (a staircase, as TensorFlow's ``exponential_decay``
    with ``staircase=True``), times a linear ramp ``(step + 1) / warmup_steps`` during warm-up.
    A plain class rather than a lambda so that ``LambdaLR.state_dict`` can save it.
    """

    def __init__(self, steps_per_epoch: int, decay: float = 0.94, decay_epochs: float = 2.0, warmup_epochs: float = 0.0) -> None:
        if steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be at least 1, got {steps_per_epoch}")
        self.steps_per_epoch = steps_per_epoch
        self.decay = decay
        self.decay_epochs = decay_epochs
        self.warmup_steps = round(warmup_epochs * steps_per_epoch)

    def __call__(self, step: int) -> float:
        epoch = step / self.steps_per_epoch
        factor = self.decay ** math.floor(epoch / self.decay_epochs)
        if step < self.warmup_steps:
            factor *= (step + 1) / self.warmup_steps
        return factor


def paper_schedule(
    optimizer: Optimizer, steps_per_epoch: int, decay: float = 0.94, decay_epochs: float = 2.0, warmup_epochs: float = 0.0
) -> LambdaLR:
    """A scheduler to ``step()`` once per optimiser step."""
    return LambdaLR(optimizer, PaperLRFactor(steps_per_epoch, decay, decay_epochs, warmup_epochs))
