"""Lesson 3's exercise: the size of a conv's or pool's output grid, the arithmetic behind every
shape in the paper's figures (299 -> 149 -> 147 -> 73 -> 71 -> 35 in the Inception-v4 stem)."""

from __future__ import annotations

import numbers
from typing import Callable

import torch
import torch.nn.functional as F

from .compare import run
from .result import CheckResult, Report

# (input size, kernel, stride, padding): every layer type of the v4 stem and blocks, GoogLeNet's
# first conv, and a few even sizes where rounding matters.
OUTPUT_SIZE_CASES = [
    (299, 3, 2, 0), (149, 3, 1, 0), (147, 3, 1, 1), (147, 3, 2, 0), (73, 1, 1, 0), (73, 3, 1, 0),
    (71, 3, 2, 0), (35, 3, 1, 1), (35, 3, 2, 0), (17, 7, 1, 3), (17, 3, 2, 0), (224, 7, 2, 3),
    (28, 5, 1, 2), (8, 3, 2, 0), (32, 3, 2, 1), (10, 2, 2, 0),
]


def reference_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """What PyTorch itself produces for a ``size`` x ``size`` input (measured, not derived)."""
    probe = torch.zeros(1, 1, size, size)
    weight = torch.zeros(1, 1, kernel, kernel)
    return F.conv2d(probe, weight, stride=stride, padding=padding).shape[-1]


def _diagnose(answer: float, size: int, kernel: int, stride: int, padding: int, expected: int) -> str:
    """Name the likely slip behind a wrong ``answer``."""
    span = size + 2 * padding - kernel
    if answer == expected - 1:
        return "one too few: the first window position counts too (the '+ 1')"
    if answer == span / stride:
        return "that is the number of steps, not of positions: add 1, and round down"
    if answer == -(-span // stride) + 1:
        return "rounded up; a window that would stick out past the border is dropped, so round down"
    if answer == (size - kernel) // stride + 1:
        return "the padding is missing: it adds 2 * padding to the input size"
    return f"the formula is floor((size + 2 * padding - kernel) / stride) + 1 = {expected}"


def check_output_size(student_fn: Callable[..., int], verbose: bool = True) -> CheckResult:
    """Check ``student_fn(size, kernel, stride, padding) -> int`` against PyTorch's own shapes."""
    report = Report("Exercise: output size of a conv or pool")
    if not callable(student_fn):
        report.fail(f"expected a function output_size(size, kernel, stride, padding), got {type(student_fn).__name__}")
        return report.finish(verbose)
    for size, kernel, stride, padding in OUTPUT_SIZE_CASES:
        expected = reference_output_size(size, kernel, stride, padding)
        answer, error = run(student_fn, size, kernel, stride, padding)
        case = f"output_size({size}, kernel={kernel}, stride={stride}, padding={padding})"
        if error is not None:
            report.fail(f"{case} raised {error}")
        elif isinstance(answer, bool) or not isinstance(answer, numbers.Real):
            report.fail(f"{case} returned {answer!r}; return a whole number (an int)")
        elif answer != expected:
            slip = _diagnose(answer, size, kernel, stride, padding, expected)
            report.fail(f"{case} gave {answer}, expected {expected}: {slip}")
        elif not isinstance(answer, numbers.Integral):
            report.fail(f"{case} gave {answer!r}, a float: use // (floor division) to get an int")
        else:
            continue
        break  # one clear message is more useful than the same slip sixteen times
    if not report.failed:
        report.ok(f"all {len(OUTPUT_SIZE_CASES)} cases match PyTorch, from 299 -> 149 (stem) to 10 -> 5")
    return report.finish(verbose)
