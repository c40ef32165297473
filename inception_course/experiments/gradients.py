"""Why residual networks train faster: the gradient reaching each block, at initialisation and
during the first training steps, for the paper's two pairs (v3 vs IR-v1, v4 vs IR-v2).

A deep plain network with batch norm has exploding gradients at initialisation: every batch-norm
layer rescales its input to unit variance, and going backwards through many of them multiplies
the gradient layer after layer, so the first layers (the stem) receive a gradient orders of
magnitude larger than the last ones. A residual block adds its input unchanged to its output, so
the gradient flows back through the identity shortcut and every block sees a gradient of similar
size. :func:`block_gradient_norms` measures this per block (stem, each Inception block, each
reduction, the head) and keeps measuring while a copy of the network takes its first optimiser
steps with the paper's recipe; :func:`pair_gradient_norms` does it for both networks of a pair on
the same batch.

A gradient is not yet a change of the weights: the recipe clips each gradient tensor to norm 2.0
and RMSProp divides by a running root-mean-square. So each step also records what the optimiser
actually did to each block, the relative update ``||w_after - w_before|| / ||w_before||``: the
quantity that says whether a block's weights move a lot or hardly at all.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..models.layers import InceptionBlock, ResidualInceptionBlock
from ..training.clip import clip_gradients_
from ..training.optim import RMSpropTF
from ..training.presets import RECIPE
from .activations import build_network
from .residual_vs_plain import PAIRS

#: A small, quick setting in which the ordering is clear (see tests/experiments/test_gradients.py):
#: 1/8 of the filters, the smallest input every network accepts, the paper's depths.
SMALL = {"width": 0.125, "image_size": 75, "batch_size": 16}


@dataclass(frozen=True)
class BlockGradients:
    """The gradient norm of every block of ``model`` at one step: ``step`` 0 is the network as
    initialised, step ``k`` the network after ``k`` optimiser steps. ``blocks``, ``kinds`` and
    ``norms`` are parallel lists in forward order; ``kinds`` holds ``"stem"``, ``"concat"``,
    ``"residual"``, ``"reduction"`` or ``"head"``. ``updates`` holds each block's relative weight
    change ``||dw|| / ||w||`` made by the optimiser step taken *from* this state (clipping and
    RMSProp included); empty for the last measured step, from which no step was taken."""

    model: str
    step: int
    blocks: tuple[str, ...]
    kinds: tuple[str, ...]
    norms: tuple[float, ...]
    loss: float
    updates: tuple[float, ...] = ()

    def norm(self, kind: str) -> float:
        """The gradient norm of the first block of ``kind`` (e.g. ``"stem"``, ``"head"``)."""
        if kind not in self.kinds:
            raise ValueError(f"{self.model} has no {kind!r} block; kinds: {sorted(set(self.kinds))}")
        return self.norms[self.kinds.index(kind)]

    def update(self, kind: str) -> float:
        """The relative update ``||dw|| / ||w||`` of the first block of ``kind`` at this step."""
        if not self.updates:
            raise ValueError(f"{self.model} step {self.step}: no optimiser step was taken from here")
        self.norm(kind)  # the same check of the kind
        return self.updates[self.kinds.index(kind)]

    @property
    def stem_to_head(self) -> float:
        """How many times larger the stem's gradient is than the head's."""
        return self.norm("stem") / self.norm("head")

    @property
    def total(self) -> float:
        """The global gradient norm (what global clipping compares with its threshold)."""
        return sum(n * n for n in self.norms) ** 0.5


def model_blocks(model: nn.Module) -> list[tuple[str, str, list[nn.Parameter]]]:
    """``(name, kind, parameters)`` for the stem, every top-level Inception block and reduction (in
    forward order) and the head (every other parameter: classifier, final 1x1 conv, aux head)."""
    stem = getattr(model, "stem", None)
    if stem is None:
        raise ValueError(f"{type(model).__name__} has no .stem; pass an Inception network from create_model")
    groups: list[tuple[str, str, list[nn.Parameter]]] = [("stem", "stem", list(stem.parameters()))]
    seen = {id(p) for p in groups[0][2]}
    kinds = (InceptionBlock, ResidualInceptionBlock)
    inside: set[str] = {"stem"}
    for name, module in model.named_modules():
        if not isinstance(module, kinds) or any(name == p or name.startswith(p + ".") for p in inside):
            continue
        inside.add(name)
        kind = "residual" if isinstance(module, ResidualInceptionBlock) else "reduction" if "reduction" in name else "concat"
        params = [p for p in module.parameters() if id(p) not in seen]
        seen.update(id(p) for p in params)
        groups.append((name, kind, params))
    groups.append(("head", "head", [p for p in model.parameters() if id(p) not in seen]))
    return groups


def _norms(groups, loss: torch.Tensor) -> tuple[float, ...]:
    flat = [p for _, _, ps in groups for p in ps]
    grads = torch.autograd.grad(loss, flat, allow_unused=True, retain_graph=True)
    norms, i = [], 0
    for _, _, ps in groups:
        squares = [g.double().pow(2).sum() for g in grads[i : i + len(ps)] if g is not None]
        norms.append(torch.stack(squares).sum().sqrt().item() if squares else 0.0)
        i += len(ps)
    return tuple(norms)


def block_gradient_norms(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    steps: int = 3,
    lr: float = RECIPE["base_lr"],
    clip_norm: float | None = RECIPE["clip_grad_norm"],
    clip_mode: str = RECIPE["clip_mode"],
    name: str | None = None,
) -> list[BlockGradients]:
    """The gradient norm per block (:func:`model_blocks`) of the cross-entropy on ``images`` /
    ``labels``, at initialisation (step 0) and after each of ``steps`` optimiser steps.

    The steps train a *copy* of ``model`` in training mode (batch norm on batch statistics) on the
    same batch with the paper's recipe: TF-style RMSProp at ``lr`` and gradient clipping
    (``clip_mode``, threshold ``clip_norm``; ``None`` for none). The norms are measured before
    clipping. ``model`` itself is left untouched.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    net = copy.deepcopy(model).train()
    groups = model_blocks(net)
    params = [p for _, _, ps in groups for p in ps]
    optimizer = RMSpropTF(params, lr=lr, decay=RECIPE["rmsprop_decay"], eps=RECIPE["rmsprop_eps"], momentum=RECIPE["momentum"])
    label = name or getattr(net, "name", None) or type(net).__name__
    trace = []
    names, kinds = tuple(g[0] for g in groups), tuple(g[1] for g in groups)
    for step in range(steps + 1):
        # features -> head: the main classifier only (no auxiliary head, as in the recorded pairs)
        loss = F.cross_entropy(net.forward_head(net.forward_features(images)), labels)
        norms = _norms(groups, loss)
        if step == steps:
            trace.append(BlockGradients(label, step, names, kinds, norms, loss.item()))
            break
        before = [[p.detach().clone() for p in ps] for _, _, ps in groups]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_norm:
            clip_gradients_(params, clip_norm, clip_mode)  # type: ignore[arg-type]
        optimizer.step()
        updates = tuple(_relative_change(ps, old) for (_, _, ps), old in zip(groups, before))
        trace.append(BlockGradients(label, step, names, kinds, norms, loss.item(), updates))
    return trace


def _relative_change(params: Sequence[nn.Parameter], before: Sequence[torch.Tensor]) -> float:
    """``||w - w_before|| / ||w_before||`` over a block's parameters (0 for a block without any)."""
    change = sum((p.detach().double() - b.double()).pow(2).sum() for p, b in zip(params, before))
    size = sum(b.double().pow(2).sum() for b in before)
    return float((change / size).sqrt()) if params and size > 0 else 0.0


def gradient_batch(image_size: int, batch_size: int, num_classes: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded batch of random images in [-1, 1] (the range of the course's preprocessing) and
    random labels."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(batch_size, 3, image_size, image_size, generator=generator) * 2 - 1
    return images, torch.randint(0, num_classes, (batch_size,), generator=generator)


def pair_gradient_norms(
    pair: str,
    width: float = SMALL["width"],
    image_size: int = SMALL["image_size"],
    batch_size: int = SMALL["batch_size"],
    steps: int = 3,
    seed: int = 0,
    depths: tuple[int, int, int] | None = None,
    **options,
) -> dict[str, list[BlockGradients]]:
    """:func:`block_gradient_norms` for both networks of ``pair`` (see ``PAIRS``), plain first,
    each built with ``seed`` at ``width`` and ``depths`` (default: the paper's), on the same seeded batch.
    ``options`` go to :func:`block_gradient_norms` (``lr``, ``clip_norm``, ``clip_mode``)."""
    if pair not in PAIRS:
        raise ValueError(f"unknown pair {pair!r}; choose one of {sorted(PAIRS)}")
    images, labels = gradient_batch(image_size, batch_size, seed=seed)
    return {
        model: block_gradient_norms(
            build_network(model, width=width, depths=depths, seed=seed), images, labels, steps, name=model, **options
        )
        for model in PAIRS[pair]
    }


def summarise(traces: dict[str, Sequence[BlockGradients]]) -> list[str]:
    """One line per network and step: stem, head, stem/head ratio and global norm."""
    return [
        f"{model:<20} step {g.step}: stem {g.norm('stem'):10.3g}  head {g.norm('head'):8.3g}"
        f"  stem/head {g.stem_to_head:9.3g}  global {g.total:10.3g}  loss {g.loss:.3f}"
        for model, trace in traces.items() for g in trace
    ]


def head_gradient_after_clipping(model: str, mode: str, threshold: float = 2.0, width: float = SMALL["width"]) -> tuple[float, float]:
    """The head's gradient norm before and after clipping all gradients with ``mode`` (``"global"``
    or ``"per_tensor"``) at ``threshold``: one seeded batch through ``model`` at the paper's depths.
    Global clipping divides every gradient by one factor set by the largest ones (a plain network's
    stem), so a healthy head gradient shrinks with it; per-tensor clipping leaves it alone."""
    network = build_network(model, width=width).train()
    images, labels = gradient_batch(SMALL["image_size"], SMALL["batch_size"])
    F.cross_entropy(network.forward_head(network.forward_features(images)), labels).backward()
    head = model_blocks(network)[-1][2]

    def norm() -> float:
        return float(sum(p.grad.pow(2).sum() for p in head).sqrt())

    before = norm()
    clip_gradients_(network.parameters(), threshold, mode)  # type: ignore[arg-type]
    return before, norm()
