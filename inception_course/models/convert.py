"""Map reference state dicts (timm, torchvision) onto the course's modules.

Published ImageNet weights exist for the reference implementations only, so loading them means
renaming their parameters to ours. Each mapping is a function ``state_dict -> state_dict`` registered
under (model name, source); :func:`convert_reference_state_dict` picks the right one.
Tests prove each mapping by converting a randomly initialised reference model and comparing outputs.
"""

from __future__ import annotations

from typing import Callable

import torch

StateDict = dict[str, torch.Tensor]
_CONVERTERS: dict[tuple[str, str], Callable[[StateDict], StateDict]] = {}


def _register(name: str, source: str) -> Callable[[Callable[[StateDict], StateDict]], Callable[[StateDict], StateDict]]:
    def wrap(fn: Callable[[StateDict], StateDict]) -> Callable[[StateDict], StateDict]:
        _CONVERTERS[(name, source)] = fn
        return fn

    return wrap


def convert_reference_state_dict(name: str, state_dict: StateDict, source: str | None = None) -> StateDict:
    """Rename a timm or torchvision ``state_dict`` for ``name`` into ours.

    ``source`` is ``"timm"`` or ``"torchvision"``; left out, it is the only one registered for ``name``
    (or timm when both are).
    """
    sources = sorted(src for (model, src) in _CONVERTERS if model == name)
    if not sources:
        known = sorted({model for model, _ in _CONVERTERS})
        raise ValueError(f"no reference weights map onto {name!r}; convertible models: {', '.join(known)}")
    if source is None:
        source = "timm" if "timm" in sources else sources[0]
    if source not in sources:
        raise ValueError(f"{name!r} converts from {', '.join(sources)}, not {source!r}")
    return _CONVERTERS[(name, source)](dict(state_dict))


# --- GoogLeNet and Inception-v3 (torchvision, timm) ------------------------------------------------

# --- Inception-v4 and Inception-ResNet-v2 (timm) ---------------------------------------------------
