"""Model names -> builder functions, so code can say ``create_model("inception_v4")``.

A network module registers its public builder with ``@register_model``; the builder's name is the
model's name. Builders take ``num_classes`` plus the options documented on each builder (``width``,
``depths``, ``config``, ``dropout``, ``aux_logits``, ``residual_scale``...).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: make ``builder`` available as ``create_model(builder.__name__)``."""
    _MODELS[builder.__name__] = builder
    return builder


def list_models() -> list[str]:
    """Names accepted by :func:`create_model`, sorted."""
    return sorted(_MODELS)


def create_model(name: str, num_classes: int = 1000, pretrained: bool = False, **options: Any) -> nn.Module:
    """Build the network called ``name`` (see :func:`list_models`).

    ``pretrained=True`` loads the published ImageNet weights (through timm or torchvision, which need
    internet the first time) and converts them onto the course's modules.
    """
    builder = get_builder(name)
    parameters = inspect.signature(builder).parameters
    valid = [p for p in parameters if p != "num_classes"]
    unknown = sorted(set(options) - set(valid))
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    if unknown and not pretrained and not open_ended:
        raise ValueError(f"{name} has no option(s) {', '.join(unknown)}; its options: {', '.join(valid)}")
    if pretrained:
        from .pretrained import load_pretrained

        return load_pretrained(name, num_classes=num_classes, **options)
    return builder(num_classes=num_classes, **options)


def get_builder(name: str) -> Callable[..., nn.Module]:
    """The builder function registered as ``name`` (raises ``ValueError`` for unknown names)."""
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}")
    return _MODELS[name]
