"""Reference models with random weights for the equivalence tests, and small helpers.

A state-dict mapping is proven by converting a *randomly initialised* reference model and comparing
outputs. For that comparison to mean anything, the outputs must depend on every layer: weights,
batch-norm parameters and batch-norm running statistics are all random (with the defaults, BN is an
identity and a mapping that swapped two BN layers, or left one untouched, would go unnoticed).
"""

from __future__ import annotations

import pytest
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
