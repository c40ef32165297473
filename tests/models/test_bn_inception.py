"""BN-Inception ("inception_v2"): shapes against the BN paper's table, and the parameter count
against TF-slim's inception_v2, counted here from TF-slim's layer list (no TensorFlow needed)."""

import pytest
import torch
from reference_models import parameter_count
from torch import nn

from inception_course import create_model
from inception_course.models.bn_inception import PAPER_TABLE, BNInception

# TF-slim's inception_v2_base (tensorflow/models, research/slim/nets/inception_v2.py), transcribed
# from its source: for each Mixed block, its branches as the (filters, kernel) of every slim.conv2d,
# "pool" for a pooling layer. Every slim.conv2d there has batch norm with scale=False (one learned
# offset per channel, no bias); the first layer and the logits are counted apart.
SLIM_STEM = [(64, 1), (192, 3)]  # Conv2d_2b_1x1, Conv2d_2c_3x3 (after Conv2d_1a_7x7 and a max pool)
SLIM_MIXED = {
    "Mixed_3b": [[(64, 1)], [(64, 1), (64, 3)], [(64, 1), (96, 3), (96, 3)], ["pool", (32, 1)]],
    "Mixed_3c": [[(64, 1)], [(64, 1), (96, 3)], [(64, 1), (96, 3), (96, 3)], ["pool", (64, 1)]],
    "Mixed_4a": [[(128, 1), (160, 3)], [(64, 1), (96, 3), (96, 3)], ["pool"]],
    "Mixed_4b": [[(224, 1)], [(64, 1), (96, 3)], [(96, 1), (128, 3), (128, 3)], ["pool", (128, 1)]],
    "Mixed_4c": [[(192, 1)], [(96, 1), (128, 3)], [(96, 1), (128, 3), (128, 3)], ["pool", (128, 1)]],
    "Mixed_4d": [[(160, 1)], [(128, 1), (160, 3)], [(128, 1), (160, 3), (160, 3)], ["pool", (96, 1)]],
    "Mixed_4e": [[(96, 1)], [(128, 1), (192, 3)], [(160, 1), (192, 3), (192, 3)], ["pool", (96, 1)]],
    "Mixed_5a": [[(128, 1), (192, 3)], [(192, 1), (256, 3), (256, 3)], ["pool"]],
    "Mixed_5b": [[(352, 1)], [(192, 1), (320, 3)], [(160, 1), (224, 3), (224, 3)], ["pool", (128, 1)]],
    "Mixed_5c": [[(352, 1)], [(192, 1), (320, 3)], [(192, 1), (224, 3), (224, 3)], ["pool", (128, 1)]],
}
# Conv2d_1a_7x7: slim.separable_conv2d, 7x7 depthwise with 8 filters per input channel, then a 1x1
# to 64 with a bias and no batch norm (the BN arg_scope covers slim.conv2d only).
SLIM_SEPARABLE_CONV1 = 7 * 7 * 3 * 8 + 3 * 8 * 64 + 64


def count_layers(mixed: dict, num_classes: int = 1000) -> tuple[int, int, int]:
    """(conv weights, batch-norm channels, logits weights + biases) of the stem convs and ``mixed``."""
    weights = bn_channels = 0

    def conv(in_channels: int, branch: list) -> int:
        nonlocal weights, bn_channels
        for layer in branch:
            if layer != "pool":
                filters, kernel = layer
                weights += kernel * kernel * in_channels * filters
                bn_channels += filters
                in_channels = filters
        return in_channels

    channels = conv(64, SLIM_STEM)
    for branches in mixed.values():
        channels = sum(conv(channels, branch) for branch in branches)
    return weights, bn_channels, channels * num_classes + num_classes


def test_parameter_count_is_tf_slims_plus_the_bn_scales_slim_leaves_out():
    weights, bn_channels, logits = count_layers(SLIM_MIXED)
    slim_trainable = SLIM_SEPARABLE_CONV1 + weights + bn_channels + logits  # BN offsets only
    assert slim_trainable == 11_178_336
    # PyTorch's BatchNorm2d learns a scale as well as an offset: one more parameter per BN channel.
    assert parameter_count(create_model("inception_v2")) == slim_trainable + bn_channels


def test_paper_config_count_follows_the_table_as_printed():
    # The paper's table: 128-filter pool projections in 4c and 4d (TF-slim's Mixed_4d, Mixed_4e) and a
    # plain 7x7 conv with batch norm (scale and offset) first.
    paper_mixed = {
        **SLIM_MIXED,
        "Mixed_4d": [*SLIM_MIXED["Mixed_4d"][:3], ["pool", (128, 1)]],
        "Mixed_4e": [*SLIM_MIXED["Mixed_4e"][:3], ["pool", (128, 1)]],
    }
    weights, bn_channels, logits = count_layers(paper_mixed)
    conv1 = 7 * 7 * 3 * 64 + 2 * 64
    assert parameter_count(create_model("inception_v2", config="paper")) == conv1 + weights + 2 * bn_channels + logits


# The BN paper's table, output size of each row at 224 px (channels x height x width). Rows 4c and 4d
# print 576 channels; their filter counts add up to 608 (and 4e to 1056), which is what
# config="paper" builds; TF-slim (config="reference") makes them 576 with 96-filter pool projections.
PAPER_SHAPES = {
    "conv1": (64, 112, 112),
    "pool1": (64, 56, 56),
    "conv3": (192, 56, 56),
    "pool2": (192, 28, 28),
    "inception3a": (256, 28, 28),
    "inception3b": (320, 28, 28),
    "inception3c": (576, 14, 14),
    "inception4a": (576, 14, 14),
    "inception4b": (576, 14, 14),
    "inception4c": (576, 14, 14),
    "inception4d": (576, 14, 14),
    "inception4e": (1024, 7, 7),
    "inception5a": (1024, 7, 7),
    "inception5b": (1024, 7, 7),
}


@pytest.mark.parametrize("config", ["reference", "paper"])
def test_shapes_follow_the_papers_table(config):
    model = create_model("inception_v2", config=config).eval()
    shapes = {}
    for name in PAPER_SHAPES:
        getattr(model, name).register_forward_hook(lambda m, i, out, name=name: shapes.__setitem__(name, out.shape[1:]))
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 224, 224))
    expected = dict(PAPER_SHAPES)
    if config == "paper":
        expected.update(inception4c=(608, 14, 14), inception4d=(608, 14, 14), inception4e=(1056, 7, 7))
    assert shapes == expected and logits.shape == (1, 1000)
    if config == "paper":
        assert model.inception5a.branches[0].conv.in_channels == 1056


def test_every_5x5_is_two_3x3_and_every_conv_has_batch_norm():
    model = create_model("inception_v2", config="paper")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert max(conv.kernel_size for conv in convs[1:]) == (3, 3)  # only the first layer is 7x7
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == len(convs)
    for name, row in PAPER_TABLE.items():
        double = getattr(model, f"inception{name}").branches[-2]
        assert [layer.conv.kernel_size for layer in double] == [(1, 1), (3, 3), (3, 3)]
        assert double[-1].conv.out_channels == row.dbl3x3


def test_reference_first_layer_is_tf_slims_separable_conv():
    depthwise, pointwise = create_model("inception_v2").conv1
    assert (depthwise.groups, depthwise.out_channels, depthwise.kernel_size) == (3, 24, (7, 7))
    assert pointwise.conv.bias is not None and isinstance(pointwise.bn, nn.Identity)


def test_minimum_size_and_bad_input():
    model = create_model("inception_v2", width=0.25).eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(2, 3, 17, 17)).shape == (2, 256, 1, 1)
    for x, message in [
        (torch.randn(1, 3, 16, 16), "at least 17x17"),
        (torch.randn(3, 224, 224), "4-D"),
        (torch.randn(1, 1, 224, 224), "3 input channels"),
        (torch.ones(1, 3, 224, 224, dtype=torch.uint8), "floating-point"),
    ]:
        with pytest.raises(ValueError, match=message):
            model(x)


@pytest.mark.parametrize("config", ["reference", "paper"])
def test_narrow_network_trains_a_step(config):
    model = create_model("inception_v2", num_classes=10, config=config, width=0.25, in_chans=1).train()
    logits = model(torch.randn(2, 1, 64, 64))  # no auxiliary heads: logits only
    assert isinstance(logits, torch.Tensor) and logits.shape == (2, 10)
    logits.sum().backward()
    assert isinstance(model, BNInception) and model.fc.weight.grad is not None
