"""What every network in the course has in common: input checks and the classifier head.

Subclasses build ``self.features``-style stages in ``__init__`` and implement
:meth:`forward_features` (image -> last feature map). The head (global average pool -> dropout ->
``fc``) and the input checks live here so that all six networks behave alike:

* ``model.forward_features(x)`` returns the last feature map (timm's convention);
* ``model(x)`` returns logits; networks with auxiliary classifiers return
  ``(logits, aux_logits...)`` in training mode when built with ``aux_logits=True``;
* bad input raises ``ValueError`` naming the expected and the given shape, dtype or batch size.
"""

from __future__ import annotations

import torch
from torch import nn


def is_tracing() -> bool:
    """True while ``torch.fx`` traces or ``torch.compile`` / ``torch.export`` compiles the model.

    Input checks are for people calling the model eagerly; a tracer passes placeholders (an fx
    ``Proxy`` has no concrete shape or dtype to check), so the checks step aside while it runs.
    """
    return _fx_tracing() or _compiling()


# torch >= 2.5 names the fx test is_fx_symbolic_tracing (is_fx_tracing warns); torch 2.2 has only
# is_fx_tracing and torch._dynamo.is_compiling.
_fx_tracing = getattr(torch.fx._symbolic_trace, "is_fx_symbolic_tracing", torch.fx._symbolic_trace.is_fx_tracing)
_compiling = getattr(getattr(torch, "compiler", None), "is_compiling", None) or torch._dynamo.is_compiling


class InceptionNet(nn.Module):
    """Base class: validated input, ``forward_features``, ``forward_head``, ``forward``.

    Class attributes a subclass sets:

    * ``default_image_size`` - the size the network was designed for (299, or 224 for GoogLeNet);
    * ``min_image_size`` - the smallest input whose feature map is still at least 1x1 after every
      valid-padded conv and pool (below it a forward pass fails deep inside the network).
    """

    default_image_size: int = 299
    min_image_size: int = 75
    in_chans: int = 3

    def __init__(self, num_classes: int, num_features: int, dropout: float, in_chans: int = 3) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_features = num_features
        self.in_chans = in_chans
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(num_features, num_classes) if num_classes > 0 else nn.Identity()

    def check_input(self, x: torch.Tensor) -> None:
        """Raise a ``ValueError`` that says what was expected when ``x`` cannot go through.

        Skipped while tracing or compiling (:func:`is_tracing`), so that ``torch.fx``,
        ``torch.export`` and ``torch.compile`` see a graph without data-dependent branches.
        """
        if is_tracing():
            return
        name = type(self).__name__
        expected = f"(batch, {self.in_chans}, H, W) with H, W >= {self.min_image_size}"
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} expects a tensor of shape {expected}, got {type(x).__name__}")
        if x.dim() != 4:
            hint = " (add a batch dimension with x.unsqueeze(0))" if x.dim() == 3 else ""
            raise ValueError(f"{name} expects a 4-D tensor {expected}, got shape {tuple(x.shape)}{hint}")
        if x.shape[1] != self.in_chans:
            raise ValueError(
                f"{name} expects {self.in_chans} input channels {expected}, got shape {tuple(x.shape)}"
                " (channels come second: use x.permute(0, 3, 1, 2) for channels-last images)"
            )
        if not x.is_floating_point():
            raise ValueError(
                f"{name} expects a floating-point tensor, got dtype {x.dtype}"
                " (convert with x.float() and scale pixels to [-1, 1], see inception_course.data)"
            )
        if min(x.shape[-2:]) < self.min_image_size:
            raise ValueError(
                f"{name} needs images of at least {self.min_image_size}x{self.min_image_size} pixels"
                f" {expected}, got shape {tuple(x.shape)}: smaller images shrink to nothing in the"
                f" network's strided valid-padded layers. Resize to {self.default_image_size} px"
                f" (the design size) or at least {self.min_image_size} px."
            )
        weight = next(self.parameters(), None)
        if weight is not None and x.dtype != weight.dtype and not torch.is_autocast_enabled(x.device.type):
            raise ValueError(
                f"{name} has {weight.dtype} weights but got a {x.dtype} input: convert the input"
                f" (x.to({weight.dtype})) or the model (model.to({x.dtype})), or run under torch.autocast"
            )
        if self.training and x.shape[0] < 2:
            raise ValueError(
                f"{name} is in training mode, where batch norm needs a batch of at least 2 images, got"
                f" shape {tuple(x.shape)}: use a larger batch, or call model.eval() to run single images"
            )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Global average pool -> dropout -> linear classifier (``pre_logits`` stops before ``fc``)."""
        x = torch.flatten(self.global_pool(x), 1)
        x = self.dropout(x)
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.forward_head(self.forward_features(x))


class InceptionNetWithAux(InceptionNet):
    """Base class of the networks with auxiliary classifiers (GoogLeNet, Inception-v3).

    A subclass implements ``_forward_features(x, with_aux)``, returning the last feature map and the
    list of auxiliary logits computed on the way (empty unless ``with_aux``). In training mode
    ``model(x)`` then returns ``(logits, *aux_logits)``; in eval mode, or without aux heads, logits.
    """

    def _forward_features(self, x: torch.Tensor, with_aux: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        raise NotImplementedError

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward_features(x, with_aux=False)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:  # type: ignore[override]
        self.check_input(x)
        features, aux = self._forward_features(x, with_aux=self.training)
        logits = self.forward_head(features)
        return (logits, *aux) if aux else logits
