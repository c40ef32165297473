"""Lesson 10's checker (inference).

* ``check_fold_bn``: ``fold_bn(layer)`` -> the ``(weight, bias)`` of one conv that computes a
  ``ConvBNReLU``'s conv then batch norm (other eps values, gammas of both signs, a conv with a bias
  of its own); the reference is PyTorch's ``fuse_conv_bn_eval``, which the student may not call.

The checker hands the student's function the very layers it compares with, and fails an answer that
changed them in place.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..models.layers import ConvBNReLU
from .checking.authorship import refuse_library
from .checking.compare import run, shape_of
from .checking.result import Report, checker
from .checking.inputs import Untouched, fresh_generator



#: (in, out channels, kernel, eps, negative gammas, conv bias): ConvBNReLU as the network has it,
#: then batch norms with other eps values, gammas of both signs and a conv with a bias of its own.
#: Channels unequal, so that scaling the wrong axis cannot pass; a drawn layer follows.
FOLD_CASES = ((6, 8, 3, 1e-3, False, False), (5, 7, 1, 1e-5, True, True), (7, 4, 3, 0.1, True, False))


def example_layer(seed: int = 0, in_channels: int = 6, out_channels: int = 8, kernel: int = 3, eps: float = 1e-3,
                  negative: bool = False, conv_bias: bool = False) -> ConvBNReLU:
    """A ConvBNReLU in eval mode whose batch norm does something visible in every term: random
    scale (of both signs with ``negative``) and offset, running means far from 0, and variances
    down to 1e-4 (where ``eps`` inside the square root matters); ``conv_bias`` gives the conv a bias."""
    g = torch.Generator().manual_seed(seed)
    layer = ConvBNReLU(in_channels, out_channels, kernel, padding=kernel // 2)
    layer.bn.eps = eps
    if conv_bias:
        layer.conv = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2, bias=True)
    with torch.no_grad():
        layer.conv.weight.normal_(0, 0.3, generator=g)
        if conv_bias:
            layer.conv.bias.normal_(0, 1.0, generator=g)
        layer.bn.weight.uniform_(0.5, 2.0, generator=g)
        if negative:
            layer.bn.weight.mul_(torch.tensor([(-1) ** i for i in range(out_channels)], dtype=torch.float32))
        layer.bn.bias.normal_(0, 0.5, generator=g)
        layer.bn.running_mean.normal_(0, 1.0, generator=g)
        layer.bn.running_var.copy_(10 ** torch.empty(out_channels).uniform_(-4, 0.5, generator=g))
    return layer.eval()


def _fold_cases() -> list[ConvBNReLU]:
    generator, seed = fresh_generator()
    drawn = (int(torch.randint(2, 9, (1,), generator=generator)), int(torch.randint(2, 9, (1,), generator=generator)),
             (1, 3)[int(torch.randint(2, (1,), generator=generator))], (1e-5, 1e-3, 0.01)[int(torch.randint(3, (1,), generator=generator))],
             True, bool(torch.randint(2, (1,), generator=generator)))
    return [example_layer(index, *case) for index, case in enumerate(FOLD_CASES)] + [example_layer(seed % 10_000, *drawn)]


def _describe_layer(layer: ConvBNReLU) -> str:
    conv, bn = layer.conv, layer.bn
    signs = "gammas of both signs" if bool((bn.weight < 0).any()) else "positive gammas"
    return (f"a {conv.kernel_size[0]}x{conv.kernel_size[1]} conv {conv.in_channels} -> {conv.out_channels}"
            f" {'with' if conv.bias is not None else 'without'} a bias, batch norm eps={bn.eps:g}, {signs}")


def _slips(layer: ConvBNReLU) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """``(advice, weight, bias)`` for the usual wrong folds of ``layer``."""
    bn, w = layer.bn, layer.conv.weight
    gamma, beta, mean, var, eps = bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.eps
    b = layer.conv.bias if layer.conv.bias is not None else torch.zeros_like(beta)
    scale = gamma / (var + eps).sqrt()
    right_bias = beta + (b - mean) * scale
    per_out = scale.view(-1, 1, 1, 1)
    no_sqrt = gamma / (var + eps)
    no_eps = gamma / var.sqrt()
    magnitude = gamma.abs() / (var + eps).sqrt()
    slips = [
        ("divide by sqrt(var + eps), the standard deviation, not by the variance var + eps",
         w * no_sqrt.view(-1, 1, 1, 1), beta + (b - mean) * no_sqrt),
        (f"keep eps inside the square root: sqrt(var + eps), not sqrt(var) (bn.eps is {eps:g} here)",
         w * no_eps.view(-1, 1, 1, 1), beta + (b - mean) * no_eps),
        ("scale the weight too: each output channel's filter times its factor, W * s.view(-1, 1, 1, 1)"
         " with s = gamma / sqrt(var + eps)", w.clone(), right_bias),
        ("add the bias term: the folded conv needs bias = beta - gamma * mean / sqrt(var + eps)",
         w * per_out, torch.zeros_like(beta)),
        ("the bias is beta - gamma * mean / sqrt(var + eps): the running mean is scaled too",
         w * per_out, beta + b * scale - mean),
        ("gamma keeps its sign: s = gamma / sqrt(var + eps), not its absolute value",
         w * magnitude.view(-1, 1, 1, 1), beta + (b - mean) * magnitude),
    ]
    if layer.conv.bias is not None:
        slips.append(("the conv has a bias of its own, which passes through the batch norm too:"
                      " bias = beta + s * (conv.bias - mean)", w * per_out, beta - mean * scale))
    return slips


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
    """Check ``student_fn(layer) -> (weight, bias)``: one conv equal to ``layer.conv`` then ``layer.bn``,
    for batch norms with other eps values and gammas of both signs, and convs with and without a bias."""
    if not callable(student_fn) or isinstance(student_fn, torch.nn.Module):
        report.fail(f"expected a function fold_bn(layer) -> (weight, bias), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",),
                      write_instead="compute the folded weight and bias from the formula of section 8"):
        return
    for layer in _fold_cases():
        _check_fold(report, student_fn, layer)
        if report.failed:
            return


def _check_fold(report: Report, student_fn: Callable[[ConvBNReLU], Any], layer: ConvBNReLU) -> None:
    case = _describe_layer(layer)
    x = torch.randn(4, layer.conv.in_channels, 9, 9, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = layer(x)
        expected = fuse_conv_bn_eval(copy.deepcopy(layer.conv), copy.deepcopy(layer.bn))
    inputs = Untouched(layer=layer)
    output, error = run(student_fn, layer)
    if inputs.refuse_changes(report, f"on {case}, fold_bn"):
        return
    if error is not None:
        hint = ""
        if "must match the size" in error:
            hint = (": the weight is (out, in, kh, kw) and the factors are per output channel, so reshape"
                    " them to (out, 1, 1, 1) with s.view(-1, 1, 1, 1) before multiplying")
        report.fail(f"fold_bn(layer) on {case} raised {error}{hint}")
        return
    folded = _as_weight_and_bias(output)
    w_ok, b_ok = tuple(expected.weight.shape), tuple(expected.bias.shape)
    if folded is None or tuple(folded[0].shape) != w_ok or tuple(folded[1].shape) != b_ok:
        got = shape_of(output) if folded is None else f"shapes {shape_of(folded[0])} and {shape_of(folded[1])}"
        report.fail(f"on {case}: return (weight, bias) with shapes {w_ok} and {b_ok} (the conv's weight shape), got {got}")
        return
    padding = layer.conv.padding
    with torch.no_grad():
        got = F.relu(F.conv2d(x, folded[0], folded[1], padding=padding))
    if torch.allclose(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item()):
        report.ok(f"{case}: conv(x, weight, bias) then ReLU equals the layer's output (eval mode)")
        return
    with torch.no_grad():
        for advice, weight, bias in _slips(layer):
            if _close(folded[0], weight) and _close(folded[1], bias):
                report.fail(f"on {case}: {advice}")
                return
    weight_right = _close(folded[0], expected.weight)
    part = "bias" if weight_right else "weight"
    report.fail(
        f"on {case}, the folded conv's output differs from the layer's ({part} is wrong): with s = gamma /"
        " sqrt(var + eps) per output channel, weight = W * s.view(-1, 1, 1, 1) and bias = beta + s * (b - mean),"
        " b the conv's bias (0 without one); use the running statistics, bn.running_mean and bn.running_var"
    )
