"""Map reference state dicts (timm, torchvision) onto the course's modules.

Published ImageNet weights exist for the reference implementations only, so loading them means
renaming their parameters to ours. Each mapping is a function ``state_dict -> state_dict`` registered
under (model name, source); :func:`convert_reference_state_dict` picks the right one.
Tests prove each mapping by converting a randomly initialised reference model and comparing outputs.
"""

from __future__ import annotations

import re
from typing import Callable

import torch

StateDict = dict[str, torch.Tensor]
_CONVERTERS: dict[tuple[str, str], Callable[[StateDict], StateDict]] = {}


def _register(name: str, source: str) -> Callable[[Callable[[StateDict], StateDict]], Callable[[StateDict], StateDict]]:
    def wrap(fn: Callable[[StateDict], StateDict]) -> Callable[[StateDict], StateDict]:
        _CONVERTERS[(name, source)] = fn
        return fn

    return wrap


RenameRule = tuple[str, str | Callable[[re.Match[str]], str]]


def _rename(state_dict: StateDict, rules: list[RenameRule]) -> StateDict:
    """Apply every ``(pattern, replacement)`` rule, in order, to every key of ``state_dict``."""
    renamed = {}
    for key, value in state_dict.items():
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        renamed[key] = value
    return renamed


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
# Both use ``_rename`` (ordered regex rules, above).

# torchvision's GoogLeNet already uses our top-level names (conv1, inception3a, aux1.fc1, ...);
# only its Inception modules number their branches branch1..branch4 where ours index from 0.
_GOOGLENET_RULES = [(r"\.branch(\d)\.", lambda m: f".branches.{int(m[1]) - 1}.")]

# Inception-v3: torchvision and timm share one naming (TF-slim's endpoint names); timm only renames
# the parameter-free pools. Stem convs -> our ``stem``; each Mixed_* block -> our stage, with the
# block type's own branch table (the same torchvision name means different branches in different
# block types: ``branch3x3dbl_1`` is branch 2 of the v3 paper's Fig. 5 but branch 1 of the grid reduction).
_V3_STEM = {
    "Conv2d_1a_3x3": "stem.conv1a",
    "Conv2d_2a_3x3": "stem.conv2a",
    "Conv2d_2b_3x3": "stem.conv2b",
    "Conv2d_3b_1x1": "stem.conv3b",
    "Conv2d_4a_3x3": "stem.conv4a",
}
_V3_FIG5_BRANCHES = {  # torchvision InceptionA -> our InceptionA
    "branch1x1": "branches.0",
    "branch5x5_1": "branches.1.0",
    "branch5x5_2": "branches.1.1",
    **{f"branch3x3dbl_{i + 1}": f"branches.2.{i}" for i in range(3)},
    "branch_pool": "branches.3.1",  # the 1x1 after the average pool
}
_V3_REDUCTION_A_BRANCHES = {  # torchvision InceptionB -> our ReductionA
    "branch3x3": "branches.0",
    **{f"branch3x3dbl_{i + 1}": f"branches.1.{i}" for i in range(3)},
}
_V3_FIG6_BRANCHES = {  # torchvision InceptionC -> our InceptionB
    "branch1x1": "branches.0",
    **{f"branch7x7_{i + 1}": f"branches.1.{i}" for i in range(3)},
    **{f"branch7x7dbl_{i + 1}": f"branches.2.{i}" for i in range(5)},
    "branch_pool": "branches.3.1",
}
_V3_REDUCTION_B_BRANCHES = {  # torchvision InceptionD -> our ReductionB
    **{f"branch3x3_{i + 1}": f"branches.0.{i}" for i in range(2)},
    **{f"branch7x7x3_{i + 1}": f"branches.1.{i}" for i in range(4)},
}
_V3_FIG7_BRANCHES = {  # torchvision InceptionE -> our InceptionC (the 1x3 | 3x1 split is a nested block)
    "branch1x1": "branches.0",
    "branch3x3_1": "branches.1.0",
    "branch3x3_2a": "branches.1.1.branches.0",
    "branch3x3_2b": "branches.1.1.branches.1",
    "branch3x3dbl_1": "branches.2.0",
    "branch3x3dbl_2": "branches.2.1",
    "branch3x3dbl_3a": "branches.2.2.branches.0",
    "branch3x3dbl_3b": "branches.2.2.branches.1",
    "branch_pool": "branches.3.1",
}
_V3_BLOCKS = [  # (torchvision / timm block, our block, branch table)
    *((f"Mixed_5{x}", f"inception_a.{i}", _V3_FIG5_BRANCHES) for i, x in enumerate("bcd")),
    ("Mixed_6a", "reduction_a", _V3_REDUCTION_A_BRANCHES),
    *((f"Mixed_6{x}", f"inception_b.{i}", _V3_FIG6_BRANCHES) for i, x in enumerate("bcde")),
    ("Mixed_7a", "reduction_b", _V3_REDUCTION_B_BRANCHES),
    *((f"Mixed_7{x}", f"inception_c.{i}", _V3_FIG7_BRANCHES) for i, x in enumerate("bc")),
]
_V3_RULES = [
    *((rf"^{theirs}\.", f"{ours}.") for theirs, ours in _V3_STEM.items()),
    *(
        (rf"^{block}\.{branch}\.", f"{ours}.{our_branch}.")
        for block, ours, branches in _V3_BLOCKS
        for branch, our_branch in branches.items()
    ),
    (r"^AuxLogits\.conv0\.", "aux.proj."),  # 1x1 conv, 128 filters
    (r"^AuxLogits\.conv1\.", "aux.conv."),  # 5x5 conv, 768 filters
    (r"^AuxLogits\.fc\.", "aux.fc."),
]


@_register("googlenet", "torchvision")
def _googlenet_from_torchvision(state_dict: StateDict) -> StateDict:
    return _rename(state_dict, _GOOGLENET_RULES)


@_register("inception_v3", "torchvision")
@_register("inception_v3", "timm")
def _inception_v3_from_torchvision_or_timm(state_dict: StateDict) -> StateDict:
    return _rename(state_dict, _V3_RULES)


# --- Inception-v4 and Inception-ResNet-v2 (timm) ---------------------------------------------------

# timm's InceptionV4 keeps all 22 stages in one ``features`` list: its index says which stage of ours.
_V4_STAGES = [
    "stem.conv_1a", "stem.conv_2a", "stem.conv_2b", "stem.mixed_3a", "stem.mixed_4a", "stem.mixed_5a",
    *(f"blocks_a.{i}" for i in range(4)), "reduction_a",
    *(f"blocks_b.{i}" for i in range(7)), "reduction_b",
    *(f"blocks_c.{i}" for i in range(3)),
]
_V4_RULES: list[RenameRule] = [
    (r"^features\.3\.conv\.", "features.3.branches.1."),  # Mixed3a = (max pool, conv)
    (r"^features\.5\.conv\.", "features.5.branches.0."),  # Mixed5a = (conv, max pool)
    (r"^features\.(\d+)\.", lambda m: _V4_STAGES[int(m[1])] + "."),
    (r"\.branch(\d)_(\d)a\.", r".branches.\1.\2.branches.0."),  # InceptionC: the 1x3 | 3x1 split
    (r"\.branch(\d)_(\d)b\.", r".branches.\1.\2.branches.1."),
    (r"\.branch(\d)_(\d)\.", r".branches.\1.\2."),  # InceptionC: the convs before the split
    (r"\.branch(\d)\.", r".branches.\1."),
    (r"^last_linear\.", "fc."),
]
_INCEPTION_RESNET_V2_RULES: list[RenameRule] = [
    (r"^conv2d_(1a|2a|2b|3b|4a)\.", r"stem.conv_\1."),
    (r"^mixed_5b\.", "stem.mixed_5b."),
    (r"^repeat\.", "blocks_a."),
    (r"^mixed_6a\.", "reduction_a."),
    (r"^repeat_1\.", "blocks_b."),
    (r"^mixed_7a\.", "reduction_b."),
    (r"^repeat_2\.", "blocks_c."),
    (r"^block8\.", "blocks_c.9."),  # timm keeps the unscaled last C block apart; ours is the 10th
    (r"^conv2d_7b\.", "final_conv."),
    (r"\.conv2d\.", ".up."),  # the linear 1x1 filter expansion of each residual block
    (r"\.branch(\d)\.", r".branches.\1."),
    (r"^classif\.", "fc."),
]


@_register("inception_v4", "timm")
def _inception_v4_from_timm(state_dict: StateDict) -> StateDict:
    return _rename(state_dict, _V4_RULES)


@_register("inception_resnet_v2", "timm")
def _inception_resnet_v2_from_timm(state_dict: StateDict) -> StateDict:
    return _rename(state_dict, _INCEPTION_RESNET_V2_RULES)
