"""Lesson 10's checker (inference: folding batch norm): the right fold passes, PyTorch's own fold is
refused, and each usual slip fails with its reason, on other eps values, gammas of both signs and a
conv with a bias of its own (mirrors ``inception_course/exercises/lesson10.py``)."""

import pytest
import torch
from torch import nn

from inception_course.exercises import check_fold_bn


def messages(result):
    return " ".join(result.messages)


def fold(layer, sqrt=True, eps=True, bias=True, scale_weight=True, mean_scaled=True, axis="out", conv_bias=True,
         signed=True, fixed_eps=None):
    """The fold written out, with the usual slips switchable."""
    bn, w = layer.bn, layer.conv.weight
    var = bn.running_var + ((bn.eps if fixed_eps is None else fixed_eps) if eps else 0.0)
    s = (bn.weight if signed else bn.weight.abs()) / (var.sqrt() if sqrt else var)
    if not scale_weight:
        weight = w.clone()
    elif axis == "out":
        weight = w * s.view(-1, 1, 1, 1)
    else:
        weight = w * s  # broadcasts over the kernel's last axis: fails
    b = layer.conv.bias if conv_bias and layer.conv.bias is not None else 0.0
    b = bn.bias + (s * (b - bn.running_mean) if mean_scaled else s * b - bn.running_mean)
    return weight, (b if bias else None)


def folded_conv(layer):
    """The right fold handed back as one conv."""
    weight, bias = fold(layer)
    conv = nn.Conv2d(layer.conv.in_channels, layer.conv.out_channels, layer.conv.kernel_size,
                     layer.conv.stride, layer.conv.padding)  # with a bias
    with torch.no_grad():
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
    return conv


def test_the_right_fold_passes_as_a_pair_and_as_a_conv():
    assert check_fold_bn(fold, verbose=False).passed
    assert check_fold_bn(folded_conv, verbose=False).passed


def fused_by_torch(layer):
    return torch.nn.utils.fusion.fuse_conv_bn_eval(layer.conv, layer.bn)


def fused_weights_by_torch(layer):
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    bn = layer.bn
    return fuse_conv_bn_weights(layer.conv.weight, layer.conv.bias, bn.running_mean, bn.running_var, bn.eps,
                                bn.weight, bn.bias)


@pytest.mark.parametrize("student", [fused_by_torch, fused_weights_by_torch])
def test_pytorchs_own_fold_is_refused(student):
    result = check_fold_bn(student, verbose=False)
    assert not result.passed
    assert "ready-made implementation" in messages(result) and "torch.nn.utils.fusion" in messages(result)


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"bias": False}, "add the bias term"),
        ({"sqrt": False}, "not by the variance"),
        ({"eps": False}, "keep eps inside the square root"),
        ({"scale_weight": False}, "scale the weight too"),
        ({"axis": "in"}, "per output channel"),
        ({"mean_scaled": False}, "the running mean is scaled too"),
        ({"conv_bias": False}, "a bias of its own"),
        ({"signed": False}, "gamma keeps its sign"),
        ({"fixed_eps": 1e-3}, "eps=1e-05"),  # the ConvBNReLU's eps typed in
    ],
)
def test_typical_slips_are_named(options, expected):
    result = check_fold_bn(lambda layer: fold(layer, **options), verbose=False)
    assert not result.passed
    assert expected in messages(result)


def in_place_fold(layer):
    """The right numbers, but the layer's own batch norm is overwritten on the way."""
    weight, bias = fold(layer)
    layer.bn.running_var.add_(layer.bn.eps)
    return weight, bias


def switches_to_training(layer):
    layer.train()
    return fold(layer)


@pytest.mark.parametrize("student", [in_place_fold, switches_to_training])
def test_a_fold_that_changes_the_layer_fails(student):
    result = check_fold_bn(student, verbose=False)
    assert not result.passed and "changed its input layer in place" in messages(result)


def test_the_unfolded_layer_and_wrong_shapes_are_explained():
    result = check_fold_bn(lambda layer: (layer.conv.weight, None), verbose=False)
    assert not result.passed and "bias" in messages(result)
    result = check_fold_bn(lambda layer: layer.conv.weight, verbose=False)
    assert not result.passed and "return (weight, bias)" in messages(result)
    assert "expected a function" in messages(check_fold_bn(nn.Conv2d(1, 1, 1), verbose=False))
    assert "expected a function" in messages(check_fold_bn(torch.zeros(3), verbose=False))
