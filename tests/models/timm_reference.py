"""Shared by the equivalence tests: a timm model with random weights *and* random batch-norm
parameters and statistics, so that a mapping that swapped two BN layers (or left one at its
defaults) shows up in the outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def random_reference(name: str, seed: int = 0) -> nn.Module:
    """timm's ``name`` in eval mode with random weights, BN parameters and BN running statistics.

    Left at PyTorch's default init and BN statistics (mean 0, var 1), a deep network's signal fades
    layer by layer until the output no longer depends on the early layers, and a wrong mapping there
    would go unnoticed. So after the BN weights and biases are drawn at random, the running
    statistics are measured on random images (every layer's output stays near unit scale), then
    each is perturbed a little at random.
    """
    timm = pytest.importorskip("timm")
    torch.manual_seed(seed)
    model = timm.create_model(name, pretrained=False)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in norms:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.1)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration batch
        model.train()(torch.randn(4, 3, 107, 107))
        for bn in norms:
            bn.running_mean.add_(0.05 * torch.randn_like(bn.running_mean) * bn.running_var.sqrt())
            bn.running_var.mul_(torch.empty_like(bn.running_var).uniform_(0.9, 1.1))
    return model.eval()


def assert_same_outputs(reference: nn.Module, ours: nn.Module, image_size: int, atol: float = 1e-5) -> None:
    """Eval-mode features and logits (the head applied to those features: one pass per model) of
    both models agree on a random image of ``image_size`` px."""
    x = torch.randn(1, 3, image_size, image_size, generator=torch.Generator().manual_seed(image_size))
    with torch.no_grad():
        ours_features, reference_features = ours.forward_features(x), reference.forward_features(x)
        assert reference_features.std() > 0.1, "the signal died out: the comparison would prove nothing"
        torch.testing.assert_close(ours_features, reference_features, atol=atol, rtol=0)
        logits = ours.forward_head(ours_features), reference.forward_head(reference_features)
        torch.testing.assert_close(*logits, atol=atol, rtol=0)
