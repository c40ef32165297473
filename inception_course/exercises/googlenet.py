"""Lesson 1's exercises on GoogLeNet: the multiply-adds of a module, branch by branch, and the
auxiliary classifier.

* ``module_macs(c_in, row, grid)`` returns the four branches' multiply-adds of an Inception module
  with dimension reductions; the checker compares them with what
  :func:`~inception_course.models.describe.describe` measures on the library's
  :class:`~inception_course.models.googlenet.InceptionModule`, for modules of all three grids.
* ``AuxHead(in_channels, num_classes)`` is the paper's auxiliary classifier; the checker compares it
  with the library's :class:`~inception_course.models.googlenet.AuxClassifier` (paper configuration:
  5x5/3 average pool, no batch norm) in eval and in training mode (its dropout of 0.7).
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import nn

from ..models.describe import describe
from ..models.layers import ConvBNReLU
from ..models.googlenet import TABLE_1, AuxClassifier, InceptionModule, InceptionRow
from .compare import run
from .authorship import refuse_library
from .result import Report, checker
from .toolkit import build, compare_modules

FIRST_INPUT = 192  # the stem's output depth, the input of module 3a
GRIDS = {"3": 28, "4": 14, "5": 7}
BRANCHES = ("1x1", "1x1 -> 3x3", "1x1 -> 5x5", "3x3 max pool -> 1x1")


def module_inputs() -> dict[str, tuple[int, int]]:
    """``{module name: (input channels, grid)}`` for every row of the GoogLeNet paper's Table 1 (each module reads the
    concatenated output of the one before)."""
    inputs, channels = {}, FIRST_INPUT
    for name, row in TABLE_1.items():
        inputs[name] = (channels, GRIDS[name[0]])
        channels = row.ch1x1 + row.ch3x3 + row.ch5x5 + row.pool_proj
    return inputs


def reference_branch_macs(c_in: int, row: InceptionRow, grid: int) -> list[int]:
    """Each branch's multiply-adds as :func:`describe` measures them."""
    module = InceptionModule(c_in, *row)
    return [describe(branch, grid, in_chans=c_in).total.macs for branch in module.branches]


def _slip(branch: int, got: int, c_in: int, row: InceptionRow, grid: int) -> str:
    """Name the likely mistake behind a wrong count of ``branch``."""
    area = grid * grid
    if branch == 1 and got == area * c_in * row.ch3x3 * 9:
        return "that is the 3x3 conv on all input channels: the 1x1 reduction comes first, so the 3x3 reads ch3x3red channels"
    if branch == 2 and got == area * c_in * row.ch5x5 * 25:
        return "that is the 5x5 conv on all input channels: the 1x1 reduction comes first, so the 5x5 reads ch5x5red channels"
    if branch == 1 and got == area * c_in * row.ch3x3red:
        return "only the 1x1 reduction is counted: add the 3x3 conv after it"
    if branch == 2 and got == area * c_in * row.ch5x5red:
        return "only the 1x1 reduction is counted: add the 5x5 conv after it"
    if branch == 1 and got == area * (c_in * row.ch3x3red + row.ch3x3red * row.ch3x3 * 3):
        return "the 3x3 conv's kernel has 3 * 3 = 9 weights per input channel, not 3"
    if branch == 2 and got == area * (c_in * row.ch5x5red + row.ch5x5red * row.ch5x5 * 5):
        return "the 5x5 conv's kernel has 5 * 5 = 25 weights per input channel, not 5"
    if branch == 3 and got == 0:
        return "the pool's 1x1 projection (pool_proj) costs multiply-adds too (the pool itself none)"
    return "count grid * grid * c_out * k * k * c_in for each conv of the branch (pools cost nothing)"


@checker("Exercise: the multiply-adds of an Inception module")
def check_module_macs(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(c_in, row, grid)`` -> the four branches' multiply-adds, in the order of the GoogLeNet paper's Table 1."""
    if not callable(student_fn):
        report.fail(f"expected a function module_macs(c_in, row, grid), got {type(student_fn).__name__}")
        return
    inputs = module_inputs()
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[InceptionRow],
                      write_instead="count with grid * grid * c_out * k * k * c_in (conv_macs)"):
        return
    for name in ("3a", "3b", "4a", "4e", "5b"):
        c_in, grid = inputs[name]
        row = TABLE_1[name]
        expected = reference_branch_macs(c_in, row, grid)
        answer, error = run(student_fn, c_in, row, grid)
        case = f"module {name} (input {grid}x{grid}x{c_in})"
        if error is not None:
            report.fail(f"module_macs for {case} raised {error}")
            return
        if not isinstance(answer, (list, tuple)) or len(answer) != 4:
            report.fail(f"return a list of four numbers, one per branch ({', '.join(BRANCHES)}); got {answer!r}")
            return
        for index, (got, want) in enumerate(zip(answer, expected)):
            if isinstance(got, bool) or not isinstance(got, numbers.Real) or got != want:
                words = _slip(index, got, c_in, row, grid) if isinstance(got, numbers.Real) else "return a number"
                report.fail(f"{case}, branch {index + 1} ({BRANCHES[index]}): yours {got!r}, describe() measures {want:,}: {words}")
                return
        report.ok(f"{case}: all four branches, {sum(expected):,} multiply-adds in all")


def _paper_aux(in_channels: int, num_classes: int) -> AuxClassifier:
    return AuxClassifier(in_channels, num_classes, nn.AvgPool2d(5, stride=3), bn=False)


@checker("Exercise: GoogLeNet's auxiliary classifier")
def check_aux_classifier(report: Report, student_class: Any) -> None:
    """Check ``student_class(in_channels, num_classes)`` against the paper's auxiliary classifier
    (after inception 4a and 4d: 14x14 inputs of 512 and 528 channels)."""
    if refuse_library(report, student_class, allowed=[ConvBNReLU], write_instead="build it from nn layers and ConvBNReLU"):
        return
    generator = torch.Generator().manual_seed(0)
    for in_channels, num_classes in ((512, 10), (528, 7)):
        student = build(report, student_class, (in_channels, num_classes), "auxiliary classifier")
        if student is None or refuse_library(report, student, allowed=[ConvBNReLU]):
            return
        reference = _paper_aux(in_channels, num_classes)
        x = torch.randn(2, in_channels, 14, 14, generator=generator)
        compare_modules(report, student, reference, x, f"auxiliary classifier ({in_channels} channels, {num_classes} classes)")
        if report.failed:
            return
