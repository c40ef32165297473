"""Lesson 10's checker (inference).

* ``check_fold_bn``: ``fold_bn(layer)`` -> the ``(weight, bias)`` of one conv that computes a
  ``ConvBNReLU``'s conv then batch norm; the reference is PyTorch's ``fuse_conv_bn_eval``, which the
  student may not call.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..models.layers import ConvBNReLU
from .checking.authorship import refuse_library
from .checking.compare import run, shape_of
from .checking.result import Report, checker


IN_CHANNELS, OUT_CHANNELS = 6, 8  # unequal, so that scaling the wrong axis cannot pass


def example_layer(seed: int = 0) -> ConvBNReLU:
    """A 3x3 ConvBNReLU in eval mode whose batch norm does something visible in every term:
    random scale and offset, running means far from 0, and variances down to 1e-4 (where the
    layer's eps = 1e-3 inside the square root matters)."""
    g = torch.Generator().manual_seed(seed)
    layer = ConvBNReLU(IN_CHANNELS, OUT_CHANNELS, 3, padding=1)
    with torch.no_grad():
        layer.conv.weight.normal_(0, 0.3, generator=g)
        layer.bn.weight.uniform_(0.5, 2.0, generator=g)
        layer.bn.bias.normal_(0, 0.5, generator=g)
        layer.bn.running_mean.normal_(0, 1.0, generator=g)
        layer.bn.running_var.copy_(10 ** torch.empty(OUT_CHANNELS).uniform_(-4, 0.5, generator=g))
    return layer.eval()


def _slips(layer: ConvBNReLU) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(advice, weight, bias)`` for the usual wrong folds of ``layer``."""
    bn, w = layer.bn, layer.conv.weight
    gamma, beta, mean, var, eps = bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.eps
    scale = gamma / (var + eps).sqrt()
    right_bias = beta - mean * scale
    per_out = scale.view(-1, 1, 1, 1)
    no_sqrt = gamma / (var + eps)
    no_eps = gamma / var.sqrt()
    return [
        ("divide by sqrt(var + eps), the standard deviation, not by the variance var + eps",
         w * no_sqrt.view(-1, 1, 1, 1), beta - mean * no_sqrt),
        ("keep eps inside the square root: sqrt(var + eps), not sqrt(var) (bn.eps is 1e-3 here)",
         w * no_eps.view(-1, 1, 1, 1), beta - mean * no_eps),
        ("scale the weight too: each output channel's filter times its factor, W * s.view(-1, 1, 1, 1)"
         " with s = gamma / sqrt(var + eps)", w.clone(), right_bias),
        ("add the bias term: the folded conv needs bias = beta - gamma * mean / sqrt(var + eps)",
         w * per_out, torch.zeros_like(beta)),
        ("the bias is beta - gamma * mean / sqrt(var + eps): the running mean is scaled too",
         w * per_out, beta - mean),
    ]


def _as_weight_and_bias(output: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
    if isinstance(output, torch.nn.Conv2d):
        output = (output.weight, output.bias)
    if isinstance(output, (tuple, list)) and len(output) == 2:
        weight, bias = output
        if bias is None and isinstance(weight, torch.Tensor):
            bias = torch.zeros(weight.shape[0])
        if isinstance(weight, torch.Tensor) and isinstance(bias, torch.Tensor):
            return weight.detach().float(), bias.detach().float()
    return None


def _close(got: torch.Tensor, want: torch.Tensor) -> bool:
    return torch.allclose(got, want, rtol=1e-4, atol=1e-6)


@checker("Exercise: fold batch norm into the conv")
def check_fold_bn(report: Report, student_fn: Callable[[ConvBNReLU], Any]) -> None:
    """Check ``student_fn(layer) -> (weight, bias)``: one conv equal to ``layer.conv`` then ``layer.bn``."""
    if not callable(student_fn) or isinstance(student_fn, torch.nn.Module):
        report.fail(f"expected a function fold_bn(layer) -> (weight, bias), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",),
                      write_instead="compute the folded weight and bias from the formula of section 3"):
        return
    layer = example_layer()
    output, error = run(student_fn, copy.deepcopy(layer))
    if error is not None:
        hint = ""
        if "must match the size" in error:
            hint = (": the weight is (out, in, kh, kw) and the factors are per output channel, so reshape"
                    " them to (out, 1, 1, 1) with s.view(-1, 1, 1, 1) before multiplying")
        report.fail(f"fold_bn(layer) raised {error}{hint}")
        return
    folded = _as_weight_and_bias(output)
    expected = fuse_conv_bn_eval(layer.conv, layer.bn)
    w_ok, b_ok = tuple(expected.weight.shape), tuple(expected.bias.shape)
    if folded is None or tuple(folded[0].shape) != w_ok or tuple(folded[1].shape) != b_ok:
        got = shape_of(output) if folded is None else f"shapes {shape_of(folded[0])} and {shape_of(folded[1])}"
        report.fail(f"return (weight, bias) with shapes {w_ok} and {b_ok} (the conv's weight shape), got {got}")
        return
    report.ok(f"returned a weight {w_ok} and a bias {b_ok}")

    x = torch.randn(4, IN_CHANNELS, 12, 12, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = layer(x)
        got = F.relu(F.conv2d(x, folded[0], folded[1], padding=1))
    if torch.allclose(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item()):
        report.ok("conv(x, weight, bias) then ReLU equals the layer's output (eval mode) on random images")
        return
    with torch.no_grad():
        for advice, weight, bias in _slips(layer):
            if _close(folded[0], weight) and _close(folded[1], bias):
                report.fail(advice)
                return
    weight_right = _close(folded[0], expected.weight)
    part = "bias" if weight_right else "weight"
    report.fail(
        f"the folded conv's output differs from the layer's ({part} is wrong): with s = gamma / sqrt(var + eps)"
        " per output channel, weight = W * s.view(-1, 1, 1, 1) and bias = beta - s * mean (use the running"
        " statistics, bn.running_mean and bn.running_var)"
    )
