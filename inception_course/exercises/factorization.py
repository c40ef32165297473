"""Lesson 2's exercise: replace an n x n convolution by a 1 x n convolution followed by an n x 1 one.

The checker builds the student's module for several ``n`` and checks what the factorisation
promises: the same output grid, fewer parameters, and - when the n x n kernel has rank 1, i.e. is
the outer product of a column and a row - exactly the same output as the n x n convolution.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .compare import count_parameters, run, shape_of
from .result import CheckResult, Report


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [layer for layer in module.modules() if isinstance(layer, nn.Conv2d)]


def _check_structure(report: Report, module: nn.Module, n: int) -> bool:
    kernels = [tuple(conv.kernel_size) for conv in _convs(module)]
    if kernels == [(n, n)]:
        report.fail(f"your module holds one {n}x{n} conv: split it into a 1x{n} conv and a {n}x1 conv")
    elif sorted(kernels) != sorted([(1, n), (n, 1)]):
        report.fail(f"expected exactly two convs with kernels 1x{n} and {n}x1, found {kernels or 'none'}")
    return not report.failed


def _check_rank_one(report: Report, factory: Callable[..., nn.Module], n: int) -> None:
    """With one input and one output channel, load a row into the 1 x n conv and a column into the
    n x 1 conv: the result must equal the n x n conv with kernel column @ row."""
    generator = torch.Generator().manual_seed(n)
    row, column = torch.randn(n, generator=generator), torch.randn(n, generator=generator)
    x = torch.randn(2, 1, 2 * n + 3, 2 * n + 3, generator=generator)
    module, error = run(factory, 1, 1, n)
    if error is not None:
        report.fail(f"building it with in_channels=1, out_channels=1, n={n} raised {error}")
        return
    if not _check_structure(report, module, n):
        return
    for conv in _convs(module):
        if conv.weight.shape[:2] != (1, 1):
            report.fail(
                f"with in_channels=out_channels=1 the {conv.kernel_size} conv has weight shape"
                f" {tuple(conv.weight.shape)}: the middle width should follow out_channels"
            )
            return
        with torch.no_grad():
            conv.weight.copy_((row if conv.kernel_size == (1, n) else column).view(conv.weight.shape))
            if conv.bias is not None:
                conv.bias.zero_()
    module.eval()
    output, error = run(module, x)
    expected = F.conv2d(x, torch.outer(column, row).view(1, 1, n, n), padding=n // 2)
    if error is not None:
        report.fail(f"with one channel and n={n}, calling your module raised {error}")
    elif not isinstance(output, torch.Tensor) or output.shape != expected.shape:
        report.fail(
            f"with one channel and n={n} the output has shape {shape_of(output)}, expected {shape_of(expected)}"
        )
    elif not torch.allclose(output, expected, atol=1e-5):
        report.fail(
            f"a rank-1 {n}x{n} kernel (column x row) should give exactly the {n}x{n} conv's output,"
            f" but yours differs by up to {(output - expected).abs().max().item():.3g}: keep the two"
            " convs back to back, with nothing (no batch norm, no ReLU) between or after them"
        )


def check_factorized_conv(student: Callable[..., nn.Module], verbose: bool = True) -> CheckResult:
    """Check ``student(in_channels, out_channels, n)`` -> a module computing a 1 x n conv then an
    n x 1 conv (or the reverse) that keeps the grid size. ``student`` is usually the class itself."""
    report = Report("Exercise: factorise an n x n convolution")
    if isinstance(student, nn.Module):
        report.fail("pass the class (or a function) that builds the module, e.g. FactorizedConv, not an instance")
        return report.finish(verbose)
    if not callable(student):
        report.fail(f"expected a class or function taking (in_channels, out_channels, n), got {type(student).__name__}")
        return report.finish(verbose)

    in_channels, out_channels, n = 8, 16, 7
    module, error = run(student, in_channels, out_channels, n)
    if error is not None:
        report.fail(f"{getattr(student, '__name__', 'it')}({in_channels}, {out_channels}, {n}) raised {error}")
        return report.finish(verbose)
    if not isinstance(module, nn.Module):
        report.fail(f"it should build a torch.nn.Module, got {type(module).__name__}")
        return report.finish(verbose)
    if not _check_structure(report, module, n):
        return report.finish(verbose)
    report.ok(f"a 1x{n} conv and a {n}x1 conv")

    x = torch.randn(2, in_channels, 17, 17, generator=torch.Generator().manual_seed(0))
    output, error = run(module.eval(), x)
    if error is not None:
        report.fail(f"calling it on an input of shape {shape_of(x)} raised {error}")
        return report.finish(verbose)
    expected_shape = (2, out_channels, 17, 17)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != expected_shape:
        report.fail(
            f"on an input of shape {shape_of(x)} it returned {shape_of(output)}, expected {expected_shape}:"
            f" pad the 1x{n} conv by (0, {n // 2}) and the {n}x1 conv by ({n // 2}, 0) to keep the grid"
        )
        return report.finish(verbose)
    report.ok(f"keeps the grid: {shape_of(x)} -> {expected_shape}")

    full = n * n * in_channels * out_channels
    weights = sum(conv.weight.numel() for conv in _convs(module))
    if weights >= full:
        report.fail(f"its convs hold {weights:,} weights, no fewer than the full {n}x{n} conv's {full:,}")
        return report.finish(verbose)
    report.ok(f"{weights:,} conv weights instead of {full:,} ({count_parameters(module):,} parameters in all)")

    for size in (3, 5, 7):
        _check_rank_one(report, student, size)
        if report.failed:
            return report.finish(verbose)
    report.ok("reproduces a rank-1 n x n conv exactly, for n = 3, 5 and 7")
    return report.finish(verbose)
