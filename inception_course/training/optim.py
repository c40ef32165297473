"""Optimisers: RMSProp the way TensorFlow (and so the paper) computed it, and momentum SGD.

Why a custom RMSProp? PyTorch's ``torch.optim.RMSprop`` and TensorFlow's ``RMSPropOptimizer``
share a name and hyper-parameters but not the arithmetic, and the paper's ``epsilon = 1.0`` only
means what the authors meant under TensorFlow's:

=====================  ======================================  ======================================
                       PyTorch ``RMSprop``                      TensorFlow (``RMSpropTF`` here)
=====================  ======================================  ======================================
mean square ``ms``     starts at 0                              starts at 1
denominator            ``sqrt(ms) + eps``                       ``sqrt(ms + eps)``
momentum buffer        ``m = mu*m + g/denom``; ``p -= lr*m``    ``m = mu*m + lr*g/denom``; ``p -= m``
=====================  ======================================  ======================================

With ``eps = 1.0`` TensorFlow divides by ``sqrt(ms + 1)``: about 1 while squared gradients are
small, so early training behaves like momentum SGD and the division only damps large gradients.
PyTorch would divide by ``sqrt(ms) + 1`` from a zero start, a different (and much less damped)
optimiser. Keeping ``lr`` inside the momentum buffer also means a learning-rate drop takes effect
smoothly rather than rescaling the velocity already accumulated.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import nn
from torch.optim import Optimizer


class RMSpropTF(Optimizer):
    """RMSProp with TensorFlow's epsilon placement, ``ms`` initialised to one, and the learning
    rate inside the momentum buffer (see the module docstring for the three differences).

    Per parameter ``p`` with gradient ``g`` (plus ``weight_decay * p``, the L2 term)::

        ms  = decay * ms + (1 - decay) * g**2
        mom = momentum * mom + lr * g / sqrt(ms + eps)
        p   = p - mom
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 0.045,
        decay: float = 0.9,
        eps: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        for name, value in (("lr", lr), ("eps", eps), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"RMSpropTF: {name} must be >= 0, got {value}")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"RMSpropTF: decay must be in [0, 1), got {decay}")
        defaults = dict(lr=lr, decay=decay, eps=eps, momentum=momentum, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001  (Optimizer's signature)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            if group["weight_decay"]:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            for p in params:
                if not self.state[p]:
                    self.state[p]["ms"] = torch.ones_like(p)  # TensorFlow starts at one, PyTorch at zero
                    self.state[p]["mom"] = torch.zeros_like(p)
            ms = [self.state[p]["ms"] for p in params]
            torch._foreach_mul_(ms, group["decay"])
            torch._foreach_addcmul_(ms, grads, grads, value=1.0 - group["decay"])
            denom = torch._foreach_add(ms, group["eps"])  # epsilon inside the square root
            torch._foreach_sqrt_(denom)
            mom = [self.state[p]["mom"] for p in params]
            torch._foreach_mul_(mom, group["momentum"])
            torch._foreach_addcdiv_(mom, grads, denom, value=group["lr"])
            torch._foreach_sub_(params, mom)
        return loss


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on conv and linear weights only, not on biases or batch-norm scales and
    shifts (TF-slim attaches its L2 regulariser to conv/fc weights alone)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def build_optimizer(
    model: nn.Module,
    name: str,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    rmsprop_decay: float = 0.9,
    rmsprop_eps: float = 1.0,
) -> Optimizer:
    """``"rmsprop"`` (:class:`RMSpropTF`, the paper's best models) or ``"sgd"`` (momentum SGD, the
    paper's earlier experiments)."""
    groups = parameter_groups(model, weight_decay)
    if name == "rmsprop":
        return RMSpropTF(groups, lr=lr, decay=rmsprop_decay, eps=rmsprop_eps, momentum=momentum)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r}; choose 'rmsprop' or 'sgd'")


def step_size(make_optimizer: Callable[[list[nn.Parameter]], Optimizer], gradient: float, steps: int = 1) -> float:
    """How far a parameter moves in the last of ``steps`` steps of the same ``gradient``, from a
    fresh optimiser (``make_optimizer([param])``), in float64. Lesson 7 compares RMSProp's two
    epsilon placements with it: the step against the size of the gradient is what differs."""
    param = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = make_optimizer([param])
    before = 0.0
    for _ in range(steps):
        before = param.item()
        param.grad = torch.full_like(param, gradient)
        optimizer.step()
    return before - param.item()
