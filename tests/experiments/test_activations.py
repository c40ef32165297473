"""Activation statistics on blocks and tiny networks whose weights make the answers known."""

import math

import pytest
import torch
from torch import nn

from inception_course.experiments.activations import FEATURES, activation_statistics
from inception_course.models.base import InceptionNet
from inception_course.models.layers import ConvBNReLU, InceptionBlock, ResidualInceptionBlock


def residual_block(channels: int = 4, scale: float = 1.0) -> ResidualInceptionBlock:
    branches = [ConvBNReLU(channels, 3, 1), ConvBNReLU(channels, 2, 3, padding=1)]
    return ResidualInceptionBlock(branches, concat_channels=5, out_channels=channels, scale=scale)


class TinyNet(InceptionNet):
    """stem -> concat block -> two residual blocks -> head: enough to exercise every row kind."""

    min_image_size = 4

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__(num_classes=3, num_features=6, dropout=0.0)
        self.stem = ConvBNReLU(3, 4, 3, padding=1)
        self.mixed = InceptionBlock([ConvBNReLU(4, 2, 1), ConvBNReLU(4, 4, 3, padding=1)])
        self.blocks = nn.Sequential(residual_block(6, scale), residual_block(6, scale))

    def forward_features(self, x):
        return self.blocks(self.mixed(self.stem(x)))


def test_zeroed_up_conv_gives_ratio_zero():
    torch.manual_seed(0)
    block = residual_block()
    nn.init.zeros_(block.up.weight)
    nn.init.zeros_(block.up.bias)
    (row,) = activation_statistics(block, torch.randn(2, 4, 5, 5))
    assert row.kind == "residual"
    assert row.residual_ratio == 0.0


def test_halving_the_scale_halves_the_ratio():
    torch.manual_seed(0)
    block = residual_block(scale=0.3)
    x = torch.randn(2, 4, 5, 5)
    (full,) = activation_statistics(block, x)
    block.scale = 0.15
    (half,) = activation_statistics(block, x)
    assert full.residual_ratio > 0
    assert half.residual_ratio == pytest.approx(full.residual_ratio / 2, rel=1e-5)


def test_all_negative_input_to_relu_is_all_zero():
    # Identity branches path: zero residual, negative shortcut -> ReLU outputs only zeros.
    block = residual_block()
    nn.init.zeros_(block.up.weight)
    nn.init.zeros_(block.up.bias)
    (row,) = activation_statistics(block, -torch.rand(2, 4, 5, 5) - 0.1)
    assert row.zero_fraction == 1.0
    assert row.max == 0.0 and row.mean == 0.0


def test_mean_std_max_match_the_block_output():
    torch.manual_seed(1)
    block = InceptionBlock([nn.Identity(), nn.Conv2d(2, 1, 1)])
    x = torch.randn(3, 2, 4, 4)
    (row,) = activation_statistics(block, x)
    with torch.no_grad():
        expected = block(x)
    assert row.kind == "concat" and row.residual_ratio is None
    assert row.mean == pytest.approx(expected.mean().item(), abs=1e-6)
    assert row.std == pytest.approx(expected.std().item(), rel=1e-5)
    assert row.max == pytest.approx(expected.max().item())
    assert row.zero_fraction == 0.0


def test_grad_norm_is_the_norm_of_the_block_parameter_gradients():
    torch.manual_seed(2)
    block = residual_block()
    x = torch.randn(2, 4, 5, 5)
    (row,) = activation_statistics(block, x, loss_fn=lambda out: out.sum())
    block.zero_grad()
    block.train()
    block(x).sum().backward()
    expected = math.sqrt(sum(p.grad.pow(2).sum().item() for p in block.parameters()))
    assert row.grad_norm == pytest.approx(expected, rel=1e-5)


def test_network_rows_in_forward_order_with_features_last_and_model_untouched():
    torch.manual_seed(3)
    net = TinyNet().eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rows = activation_statistics(net, torch.randn(2, 3, 6, 6), labels=torch.tensor([0, 2]))
    assert [r.block for r in rows] == ["mixed", "blocks.0", "blocks.1", FEATURES]
    assert [r.kind for r in rows] == ["concat", "residual", "residual", FEATURES]
    assert [r.index for r in rows] == [0, 1, 2, 3]
    # The features row is the last block's output: same statistics.
    assert rows[-1].mean == pytest.approx(rows[-2].mean)
    assert rows[-1].grad_norm is None and all(r.grad_norm > 0 for r in rows[:-1])
    assert not net.training
    assert all(p.grad is None for p in net.parameters())
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_unscaled_residuals_grow_the_activations_more_than_scaled_ones():
    torch.manual_seed(4)
    x = torch.randn(4, 3, 6, 6)
    unscaled = TinyNet(scale=1.0)
    scaled = TinyNet(scale=0.1)
    scaled.load_state_dict(unscaled.state_dict())
    for b in scaled.blocks:
        b.scale = 0.1
    big = activation_statistics(unscaled, x, labels=torch.zeros(4, dtype=torch.long))
    small = activation_statistics(scaled, x, labels=torch.zeros(4, dtype=torch.long))
    # Same input to the first residual block: the ratio is exactly proportional to the scale.
    assert big[1].residual_ratio == pytest.approx(10 * small[1].residual_ratio, rel=1e-5)
    # Unscaled residuals then add their full size to the shortcut, block after block.
    assert big[2].std > small[2].std


def test_a_module_without_inception_blocks_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="create_model"):
        activation_statistics(nn.Linear(2, 2), torch.randn(1, 2))
