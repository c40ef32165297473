"""``create_model(name, ...)``: a fresh network by name, or with published weights.

It sits above both the registry (names -> builders) and ``pretrained.py`` (which looks builders up
in the registry too): the registry imports neither, so the three form no import circle.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from .pretrained import load_pretrained
from .registry import get_builder


def create_model(name: str, num_classes: int = 1000, pretrained: bool = False, **options: Any) -> nn.Module:
    """Build the network called ``name`` (see :func:`~inception_course.models.registry.list_models`).

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
        return load_pretrained(name, num_classes=num_classes, **options)
    return builder(num_classes=num_classes, **options)
