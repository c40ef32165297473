"""Shared by the torchvision/timm equivalence tests of GoogLeNet and Inception-v3: give a reference
model random weights *and* random batch-norm statistics, so that a state-dict mapping that swapped
two layers (or left a BN layer at its defaults) changes the outputs."""

from __future__ import annotations

import torch
from torch import nn


def randomize_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Fill ``model`` in place and return it in eval mode.

    Conv/linear weights are drawn with He scaling (std sqrt(2 / fan_in)) so activations stay of order
    one through ~100 layers - timm's own init (std 0.1 whatever the fan-in) lets Inception-v3's
    logits reach 1e14, where a 1e-5 tolerance means nothing. BN gets random scale, offset, running
    mean and running variance.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.normal_(0.0, (2.0 / module.weight[0].numel()) ** 0.5, generator=g)
                if module.bias is not None:
                    module.bias.normal_(0.0, 0.1, generator=g)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=g)
                module.bias.normal_(0.0, 0.1, generator=g)
                module.running_mean.normal_(0.0, 0.1, generator=g)
                module.running_var.uniform_(0.5, 1.5, generator=g)
    return model.eval()


def disable_dropout_(model: nn.Module) -> nn.Module:
    """Set every dropout probability to 0, so training-mode outputs are deterministic."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    return model


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
