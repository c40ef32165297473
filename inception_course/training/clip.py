"""Gradient clipping as TF-slim implements it (per tensor), and the global alternative.

The paper says only "gradient clipping" (Inception-v3's paper: "with threshold 2.0"); its training
code is not public. TF-slim, the TensorFlow library the reference Inception models are written in,
clips in ``create_train_op(..., clip_gradient_norm=c)`` (``tf_slim/learning.py``) with
``clip_gradient_norms``, which calls ``tf.clip_by_norm(grad, c)`` on **each variable's gradient
separately**. PyTorch's usual ``clip_grad_norm_`` instead rescales all gradients by one factor
computed from their *global* norm. (TF-slim's ``train_image_classifier.py`` does not clip at all.)

The difference matters for plain Inception networks at initialisation: their stem's gradient can
be thousands of times larger than any other layer's. Global clipping then shrinks every layer's
update by that same huge factor, so the layers that were not exploding barely learn; per-tensor
clipping tames the stem and leaves the rest alone.
"""

from __future__ import annotations

from typing import Iterable, Literal

import torch

ClipMode = Literal["per_tensor", "global"]
CLIP_MODES: tuple[str, ...] = ("per_tensor", "global")


def clip_grad_norm_per_tensor_(params: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Rescale each parameter's gradient whose L2 norm exceeds ``max_norm`` to norm ``max_norm``
    (``tf.clip_by_norm`` per tensor, as TF-slim's ``clip_gradient_norms``); gradients already
    below it are untouched. Returns the global norm of all gradients *before* clipping (a 0-d
    tensor, for logging, like ``torch.nn.utils.clip_grad_norm_``)."""
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    norms = torch._foreach_norm(grads)  # noqa: SLF001  (one kernel for all tensors)
    dtypes = {g.dtype for g in grads}
    dtype = torch.float64 if torch.float64 in dtypes else torch.float32
    norms = torch.stack(norms).to(dtype)
    total = torch.linalg.vector_norm(norms)
    # factor = max_norm / max(norm, max_norm): 1 for small gradients, no division by zero. One
    # vector of factors, not one small tensor per gradient (hundreds of tiny ops every step).
    factors = (max_norm / torch.clamp(norms, min=max_norm)).unbind()
    if dtypes != {dtype}:
        factors = [f.to(g.dtype) for f, g in zip(factors, grads)]
    torch._foreach_mul_(grads, factors)  # noqa: SLF001
    return total


def clip_gradients_(params: Iterable[torch.Tensor], max_norm: float, mode: ClipMode = "per_tensor") -> torch.Tensor:
    """Clip with ``mode`` (``"per_tensor"``: TF-slim's recipe; ``"global"``: one factor from the
    global norm, ``torch.nn.utils.clip_grad_norm_``); returns the global norm before clipping."""
    if mode == "per_tensor":
        return clip_grad_norm_per_tensor_(params, max_norm)
    if mode == "global":
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    raise ValueError(f"unknown clip mode {mode!r}; choose one of {', '.join(CLIP_MODES)}")
