"""Per-block activation statistics: what the paper's residual scaling does inside a network.

The paper (section 3.3) reports that Inception-ResNets with more than ~1000 filters "die": the last
layer before the average pool outputs only zeros, and scaling each residual by 0.1-0.3 before the
addition prevents it. :func:`activation_statistics` measures, with forward hooks and one backward
pass, the quantities that show why:

* ``mean``, ``std``, ``max`` of each block's output, and ``zero_fraction`` - the fraction of exactly
  zero activations (a ReLU whose inputs are all negative outputs only zeros: a "dead" layer);
* ``residual_ratio`` - for an Inception-ResNet block, ``||scale * up(branches(x))|| / ||x||``: how
  much the residual branch changes the shortcut. Unscaled residuals in a wide block can dwarf the
  shortcut, and each block then adds its full variance on top of the last one;
* ``grad_norm`` - the norm of the loss's gradient with respect to the block's own parameters.

Measurements leave the model as they found it: parameters, gradients, batch-norm running statistics
and the train/eval mode are untouched.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..models.factory import create_model
from ..models.layers import InceptionBlock, ResidualInceptionBlock
from ..models.registry import get_builder

FEATURES = "features"
"""The ``block`` name of the row for the last feature map before average pooling."""


@dataclass(frozen=True)
class BlockStats:
    """One row of :func:`activation_statistics`: a block's output statistics.

    ``kind`` is ``"residual"`` (an Inception-ResNet block), ``"concat"`` (a concatenating Inception
    block) or ``"features"`` (the network's last feature map, before average pooling).
    ``residual_ratio`` is ``None`` for non-residual rows; ``grad_norm`` is ``None`` for the features
    row (it has no parameters of its own).
    """

    index: int
    block: str
    kind: str
    mean: float
    std: float
    max: float
    zero_fraction: float
    residual_ratio: float | None
    grad_norm: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def measured_blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The Inception blocks of ``model`` in forward order, as ``(qualified name, module)`` pairs.

    A model that is itself a single block is returned as ``[("block", model)]``.
    """
    kinds = (InceptionBlock, ResidualInceptionBlock)
    if isinstance(model, kinds):
        return [("block", model)]
    return [(name, module) for name, module in model.named_modules() if isinstance(module, kinds)]


def widest_residual_block(model: nn.Module) -> int:
    """The most channels any residual block of ``model`` adds to (0 for a network without one).

    The paper saw wide networks die above roughly 1000 filters; full-size Inception-ResNet-v2's C
    blocks have 2080 channels, a width multiplier scales that down.
    """
    return max((m.up.out_channels for m in model.modules() if isinstance(m, ResidualInceptionBlock)), default=0)


def _ratio(residual_norm: float, shortcut_norm: float) -> float:
    if shortcut_norm > 0:
        return residual_norm / shortcut_norm
    return 0.0 if residual_norm == 0 else math.inf


def _output_stats(t: torch.Tensor) -> dict[str, float]:
    t = t.detach().float()
    return {
        "mean": t.mean().item(),
        "std": t.std().item() if t.numel() > 1 else 0.0,
        "max": t.max().item(),
        "zero_fraction": (t == 0).float().mean().item(),
    }


def _default_loss(output: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    if labels is not None:
        return F.cross_entropy(output, labels)
    return output.float().pow(2).mean()


def activation_statistics(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    train_mode: bool = True,
) -> list[BlockStats]:
    """Measure every Inception block of ``model`` on one batch; one :class:`BlockStats` per block.

    A network (anything with ``forward_features``/``forward_head``) also gets a last row named
    ``"features"`` for the feature map before average pooling - the layer the paper saw die.
    The gradients come from one backward pass of ``loss_fn(output)``; the default is cross-entropy
    against ``labels`` when given, else the mean square of the output (any scalar shows how
    gradients flow through a bare block). ``train_mode=True`` measures the network as it trains
    (batch norm on batch statistics); the model's mode and buffers are restored afterwards.
    """
    blocks = measured_blocks(model)
    is_network = hasattr(model, "forward_features") and hasattr(model, "forward_head")
    if not blocks and not is_network:
        raise ValueError(
            f"{type(model).__name__} has no InceptionBlock or ResidualInceptionBlock to measure;"
            " pass an Inception network from inception_course.create_model or one of its blocks"
        )
    outputs: dict[str, dict[str, float]] = {}
    shortcut_norms: dict[str, float] = {}
    residual_norms: dict[str, float] = {}
    hooks = []
    for name, block in blocks:
        hooks.append(block.register_forward_hook(_record_output(outputs, name)))
        if isinstance(block, ResidualInceptionBlock):
            hooks.append(block.register_forward_pre_hook(_record_shortcut(shortcut_norms, name)))
            hooks.append(block.up.register_forward_hook(_record_residual(residual_norms, name, block)))

    was_training = model.training
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    model.train(train_mode)
    try:
        if is_network:
            features = model.forward_features(images)
            outputs[FEATURES] = _output_stats(features)
            output = model.forward_head(features)
        else:
            output = model(images)
        loss = loss_fn(output) if loss_fn is not None else _default_loss(output, labels)
        grad_norms = _parameter_grad_norms(loss, blocks)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(buffers[name])

    rows = []
    for index, (name, block) in enumerate(blocks):
        residual = isinstance(block, ResidualInceptionBlock)
        rows.append(
            BlockStats(
                index=index,
                block=name,
                kind="residual" if residual else "concat",
                residual_ratio=_ratio(residual_norms[name], shortcut_norms[name]) if residual else None,
                grad_norm=grad_norms[name],
                **outputs[name],
            )
        )
    if is_network:
        rows.append(
            BlockStats(len(rows), FEATURES, FEATURES, residual_ratio=None, grad_norm=None, **outputs[FEATURES])
        )
    return rows


def _record_output(store: dict, name: str):
    def hook(module, inputs, output):
        store[name] = _output_stats(output)

    return hook


def _record_shortcut(store: dict, name: str):
    def hook(module, inputs):
        store[name] = inputs[0].detach().float().norm().item()

    return hook


def _record_residual(store: dict, name: str, block: ResidualInceptionBlock):
    def hook(module, inputs, output):
        store[name] = (block.scale * output.detach().float()).norm().item()

    return hook


def _parameter_grad_norms(loss: torch.Tensor, blocks: list[tuple[str, nn.Module]]) -> dict[str, float]:
    """``||d loss / d theta_block||`` per block, via ``torch.autograd.grad`` so ``.grad`` stays as it was."""
    params = {name: [p for p in block.parameters() if p.requires_grad] for name, block in blocks}
    flat = [p for ps in params.values() for p in ps]
    # A parameter shared by nested blocks would be listed twice; autograd.grad accepts that.
    grads = torch.autograd.grad(loss, flat, allow_unused=True) if flat else []
    norms, i = {}, 0
    for name, ps in params.items():
        squares = [g.float().pow(2).sum() for g in grads[i : i + len(ps)] if g is not None]
        norms[name] = torch.stack(squares).sum().sqrt().item() if squares else 0.0
        i += len(ps)
    return norms


def accepts_option(name: str, option: str) -> bool:
    """True when the builder of network ``name`` takes the keyword ``option`` (e.g. only residual
    networks take ``residual_scale``; Inception-v3 takes no ``depths``)."""
    return option in inspect.signature(get_builder(name)).parameters


def build_network(
    name: str,
    width: float = 1.0,
    residual_scale: float | tuple[float, float, float] | None = None,
    depths: tuple[int, int, int] | None = None,
    num_classes: int = 10,
    seed: int = 0,
) -> nn.Module:
    """``create_model(name, ...)`` with seeded weights; ``residual_scale`` is only passed to
    networks that have residual blocks (plain ones take no such option)."""
    options: dict = {"width": width}
    if depths is not None:
        options["depths"] = depths
    if residual_scale is not None and accepts_option(name, "residual_scale"):
        options["residual_scale"] = residual_scale
    torch.manual_seed(seed)
    return create_model(name, num_classes=num_classes, **options)


def measure_network(
    model: nn.Module, image_size: int | None = None, batch_size: int = 4, seed: int = 0
) -> list[BlockStats]:
    """:func:`activation_statistics` of ``model`` on a seeded batch of random images in [-1, 1]
    with random labels: the statistics of a network as initialised (or as trained so far).

    ``image_size`` defaults to the network's smallest valid size, which keeps this quick.
    """
    size = image_size or model.min_image_size
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(batch_size, model.in_chans, size, size, generator=generator) * 2 - 1
    labels = torch.randint(0, model.num_classes, (batch_size,), generator=generator)
    return activation_statistics(model, images, labels)
