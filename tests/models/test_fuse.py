"""fuse_for_inference: the same function as the original network, with BN folded and 1x1s merged."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inception_course.models import create_model, fuse_for_inference, list_models
from inception_course.models.fuse import Conv1x1, FusedInceptionBlock, FusedResidualBlock
from inception_course.models.inception_v4 import InceptionA
from inception_course.models.layers import ConvBNReLU
from reference_models import randomize_

# (name, config) for every network and configuration; inception_v3 has only "reference".
NETWORKS = [
    (name, config)
    for name in list_models()
    for config in ("reference", "paper")
    if not (name == "inception_v3" and config == "paper")
]
# Fused blocks each network must get (one per block with two or more 1x1s on its input) at depths (1, 1, 1).
MERGED_BLOCKS = {
    "googlenet": 9,  # every Inception module
    "inception_v2": 10,  # 8 modules + the 2 stride-2 modules
    "inception_v3": 10,  # 3 A + 4 B + 2 C + Reduction-B (Reduction-A has one 1x1)
    "inception_v4": 5,  # stem mixed_4a, A, B, C, Reduction-B
    "inception_resnet_v1": 4,  # A, B, C, Reduction-B
}


def small(name: str, config: str) -> nn.Module:
    options = {"depths": (1, 1, 1)} if name in ("inception_v4", "inception_resnet_v1", "inception_resnet_v2") else {}
    return randomize_(create_model(name, num_classes=10, config=config, width=0.25, **options), seed=1)


@pytest.mark.parametrize("name,config", NETWORKS)
def test_fused_network_computes_the_same_function(name, config):
    model = small(name, config)
    before = {key: value.clone() for key, value in model.state_dict().items()}
    fused = fuse_for_inference(model)
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, got = model(x), fused(x)
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())  # every BN folded
    merged = sum(isinstance(m, FusedInceptionBlock) for m in fused.modules())
    assert merged == MERGED_BLOCKS.get(name, merged) and merged >= 4
    after = model.state_dict()  # the original is untouched
    assert after.keys() == before.keys() and all(torch.equal(after[key], before[key]) for key in before)


def test_merged_head_is_one_conv_over_the_three_1x1s_of_inception_a():
    block = randomize_(InceptionA(64, width=0.25))
    fused = fuse_for_inference(block)
    assert isinstance(fused, FusedInceptionBlock)
    assert fused.sizes == [24, 16, 16]  # the 96-, 64- and 64-filter 1x1s at width 0.25
    assert fused.sources == [0, 1, 2, -1]  # the pool branch keeps its own 1x1 after the pool
    assert isinstance(fused.head, Conv1x1) and fused.head.out_channels == 56
    x = torch.randn(2, 64, 9, 9)
    with torch.no_grad():
        assert torch.allclose(fused(x), block(x), atol=1e-5)


def test_residual_scale_is_folded_into_the_expansion_conv():
    model = small("inception_resnet_v2", "reference")
    fused = fuse_for_inference(model)
    blocks = [m for m in fused.modules() if isinstance(m, FusedResidualBlock)]
    assert len(blocks) == 3
    original = model.blocks_a[0]
    assert torch.allclose(blocks[0].up.weight, original.up.weight * original.scale)


def test_fused_copy_is_channels_last_eval_only_and_gradient_free():
    fused = fuse_for_inference(small("inception_v4", "reference"))
    conv = next(m for m in fused.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not any(p.requires_grad for p in fused.parameters())
    fused.eval()  # allowed
    with pytest.raises(RuntimeError, match="train the original model"):
        fused.train()


def test_onednn_1x1_can_be_left_out():
    model = small("googlenet", "reference")
    plain = fuse_for_inference(model, onednn_1x1=False)
    assert not any(isinstance(m, Conv1x1) for m in plain.modules())
    assert any(isinstance(m, Conv1x1) for m in fuse_for_inference(model).modules())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(plain(x), model(x), rtol=1e-4, atol=1e-5)


def test_fold_uses_the_running_statistics():
    layer = randomize_(ConvBNReLU(3, 4, 3, padding=1))
    fused = fuse_for_inference(layer)
    assert isinstance(fused.bn, nn.Identity) and fused.conv.bias is not None
    x = torch.randn(1, 3, 5, 5)
    with torch.no_grad():
        assert torch.allclose(fused(x), layer(x), atol=1e-5)


def test_bf16_copy_computes_in_bf16_and_agrees_with_float32():
    model = small("inception_resnet_v1", "reference")
    fused, half = fuse_for_inference(model), fuse_for_inference(model, dtype=torch.bfloat16)
    assert {p.dtype for p in half.parameters()} == {torch.bfloat16}
    conv = next(m for m in half.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(16, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        exact, rounded = fused(x).softmax(dim=1), half(x)
    assert rounded.dtype == torch.float32  # float32 in and out: a drop-in replacement
    rounded = rounded.softmax(dim=1)
    assert not torch.equal(rounded, exact)  # it did compute in bf16
    # The bound: bf16 keeps 8 significant bits; on this network the probabilities move by ~0.006.
    assert (rounded - exact).abs().max() < 0.02
    assert (rounded.argmax(dim=1) == exact.argmax(dim=1)).float().mean() >= 15 / 16
    assert next(model.parameters()).dtype == torch.float32  # the original is untouched


def test_only_float32_and_bf16_are_offered():
    with pytest.raises(ValueError, match="float32 or torch.bfloat16"):
        fuse_for_inference(small("googlenet", "reference"), dtype=torch.float16)


def test_merging_can_be_left_out():
    model = small("inception_v4", "reference")
    unmerged = fuse_for_inference(model, merge_1x1=False)
    assert not any(isinstance(m, FusedInceptionBlock) for m in unmerged.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in unmerged.modules())
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(unmerged(x), model.eval()(x), rtol=1e-4, atol=1e-4)
