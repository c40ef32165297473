"""The running average of the weights that the paper evaluates ("a running average of the
parameters computed over time").

Every floating-point entry of the state dict is averaged, batch-norm running statistics included,
as TensorFlow's ``ExponentialMovingAverage`` did for the Inception models; integer buffers (the
batch-norm step counter) are copied. Like TensorFlow's ``num_updates`` option, the decay starts
low, ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so that a short run's average is not
dominated by the random initial weights.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class ModelEMA:
    """An exponential moving average of a model's weights: ``ema.module`` is a model to evaluate.

    >>> ema = ModelEMA(model, decay=0.9999)
    >>> ema.update(model)          # after every optimiser step
    """

    def __init__(self, model: nn.Module, decay: float = 0.9999, warmup: bool = True) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.module = copy.deepcopy(model).eval()
        self.module.requires_grad_(False)
        self.decay = decay
        self.warmup = warmup
        self.num_updates = 0

    def current_decay(self) -> float:
        """The decay the next :meth:`update` uses."""
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """``ema = d * ema + (1 - d) * weights`` for every floating-point entry."""
        d = self.current_decay()
        weights = model.state_dict()
        for name, average in self.module.state_dict().items():
            if average.is_floating_point():
                average.lerp_(weights[name].to(average.dtype), 1.0 - d)
            else:
                average.copy_(weights[name])
        self.num_updates += 1

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "num_updates": self.num_updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self.num_updates = state["num_updates"]
        self.decay = state["decay"]
