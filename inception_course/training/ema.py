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
        self._slots: tuple[nn.Module, list] | None = None  # see _entries

    def current_decay(self) -> float:
        """The decay the next :meth:`update` uses."""
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """``ema = d * ema + (1 - d) * weights`` for every floating-point entry."""
        d = self.current_decay()
        averages, weights, int_averages, int_weights = self._entries(model)
        if averages:
            torch._foreach_lerp_(averages, weights, 1.0 - d)  # noqa: SLF001  (one call for all tensors)
        if int_averages:
            torch._foreach_copy_(int_averages, int_weights)  # noqa: SLF001
        self.num_updates += 1

    def _entries(self, model: nn.Module) -> tuple[list[torch.Tensor], ...]:
        """(float averages, their weights, integer averages, their values): the state dict's entries,
        read through the modules' own parameter and buffer dicts (found once per model: the
        averaging runs after every step, and ``model.state_dict()`` costs more than the averaging)."""
        if self._slots is None or self._slots[0] is not model:
            pairs = zip(self.module.modules(), model.modules())
            self._slots = (model, [
                (ours, theirs, name)
                for average, live in pairs
                for ours, theirs, names in (
                    (average._parameters, live._parameters, list(live._parameters)),  # noqa: SLF001
                    (average._buffers, live._buffers,  # noqa: SLF001
                     [n for n in live._buffers if n not in live._non_persistent_buffers_set]),  # noqa: SLF001
                )
                for name in names
                if theirs[name] is not None
            ])
        floats: tuple[list, list] = ([], [])
        ints: tuple[list, list] = ([], [])
        for ours, theirs, name in self._slots[1]:
            average, live = ours[name], theirs[name]
            if average.is_floating_point():
                floats[0].append(average)
                floats[1].append(live.to(average.dtype))
            else:
                ints[0].append(average)
                ints[1].append(live)
        return (*floats, *ints)

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "num_updates": self.num_updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self.num_updates = state["num_updates"]
        self.decay = state["decay"]
