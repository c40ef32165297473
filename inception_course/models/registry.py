"""Model names -> builder functions, so that ``create_model("inception_v4")`` (in ``factory.py``)
can find them.

A network module registers its public builder with ``@register_model``; the builder's name is the
model's name. Builders take ``num_classes`` plus the options documented on each builder (``width``,
``depths``, ``config``, ``dropout``, ``aux_logits``, ``residual_scale``...).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: make ``builder`` available as ``create_model(builder.__name__)``."""
    _MODELS[builder.__name__] = builder
    return builder


def list_models() -> list[str]:
    """Names accepted by :func:`create_model`, sorted."""
    return sorted(_MODELS)


def get_builder(name: str) -> Callable[..., nn.Module]:
    """The builder function registered as ``name`` (raises ``ValueError`` for unknown names)."""
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(list_models())}")
    return _MODELS[name]
