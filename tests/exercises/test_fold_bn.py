"""check_fold_bn: the right fold passes (as a pair or as a conv); the usual slips are named."""

import pytest
import torch
from torch import nn

from inception_course.exercises import check_fold_bn


def fold(layer, sqrt=True, eps=True, bias=True, scale_weight=True, mean_scaled=True, axis="out"):
    """The fold written out, with the usual slips switchable."""
    bn, w = layer.bn, layer.conv.weight
    var = bn.running_var + (bn.eps if eps else 0.0)
    s = bn.weight / (var.sqrt() if sqrt else var)
    if not scale_weight:
        weight = w.clone()
    elif axis == "out":
        weight = w * s.view(-1, 1, 1, 1)
    else:
        weight = w * s  # broadcasts over the kernel's last axis: fails
    b = bn.bias - (s * bn.running_mean if mean_scaled else bn.running_mean)
    return weight, (b if bias else None)


def messages(result):
    return " ".join(result.messages)


def test_the_right_fold_passes_as_a_pair_and_as_a_conv():
    assert check_fold_bn(fold, verbose=False).passed
    as_conv = lambda layer: torch.nn.utils.fusion.fuse_conv_bn_eval(layer.conv, layer.bn)  # noqa: E731
    assert check_fold_bn(as_conv, verbose=False).passed


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"bias": False}, "add the bias term"),
        ({"sqrt": False}, "not by the variance"),
        ({"eps": False}, "keep eps inside the square root"),
        ({"scale_weight": False}, "scale the weight too"),
        ({"axis": "in"}, "per output channel"),
        ({"mean_scaled": False}, "the running mean is scaled too"),
    ],
)
def test_typical_slips_are_named(options, expected):
    result = check_fold_bn(lambda layer: fold(layer, **options), verbose=False)
    assert not result.passed
    assert expected in messages(result)


def test_the_unfolded_layer_and_wrong_shapes_are_explained():
    result = check_fold_bn(lambda layer: (layer.conv.weight, None), verbose=False)
    assert not result.passed and "bias" in messages(result)
    result = check_fold_bn(lambda layer: layer.conv.weight, verbose=False)
    assert not result.passed and "return (weight, bias)" in messages(result)
    assert "expected a function" in messages(check_fold_bn(nn.Conv2d(1, 1, 1), verbose=False))
    assert "expected a function" in messages(check_fold_bn(torch.zeros(3), verbose=False))
