"""Lesson 5's checkers (the Inception-ResNets), in the lesson's order.

* ``check_residual_block``: the ResNet primer - a class ``(in_channels, out_channels, stride)`` ->
  ResNet's basic block, built six ways (the identity shortcut; projections for more channels, a
  smaller grid or both; one drawn for each call) on odd and even grids and non-round widths, and
  compared with :class:`~inception_course.models.resnet.BasicBlock` (shapes, parameters, outputs in
  eval and training mode); a projection where the identity belongs, a missing shortcut or a ReLU
  before the sum are named;
* ``check_residual_scaling``: a residual block class ``(branches, concat_channels, out_channels,
  scale)`` with its ``forward`` written by the student, against the library's
  :class:`~inception_course.models.layers.ResidualInceptionBlock` for six scales (the paper's, 1,
  nearly 0, a negative one and one drawn for each call) on inputs of several widths and grids, in
  eval and in training mode; the usual slips (scale missing, the sum scaled, ReLU or shortcut
  missing) are named;
* ``check_inception_resnet_b``: Inception-ResNet-v1's 17x17 block (arXiv Fig. 11), built, against
  :class:`~inception_course.models.inception_resnet.InceptionResNetB`, on an odd and an even grid;
* ``check_inception_resnet_v1``: ``build(num_classes, width, depths)`` that assembles
  Inception-ResNet-v1 from the library's stem and blocks (the comparison is in
  :mod:`.checking.networks`).

A block that writes into its input (``x += ...`` where ``x`` is the caller's tensor) fails.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import torch
from torch import nn

from ..models import inception_resnet as ir
from ..models import inception_v4 as v4
from ..models.base import InceptionNet
from ..models.factory import create_model
from ..models.inception_resnet import (
    RESIDUAL_SCALES,
    RESNET_A_FILTERS,
    RESNET_B_FILTERS,
    InceptionResNetA,
    InceptionResNetB,
)
from ..models.layers import ConvBNReLU, InceptionBlock, ResidualInceptionBlock, scale_channels
from ..models.resnet import BasicBlock
from .checking.authorship import refuse_library
from .checking.compare import (
    build,
    compare_modules,
    randomize_batchnorm,
    run,
    shape_of,
)
from .checking.inputs import Untouched, fresh_generator
from .checking.networks import compare_network
from .checking.result import Report, checker


#: (in_channels, out_channels, stride, grid): the identity, then projections for more channels, for a
#: smaller grid, for both, and for a smaller grid alone (same channels); even and odd grids,
#: non-round widths. A case drawn for each call follows.
PRIMER_CASES = ((16, 16, 1, 12), (16, 32, 2, 11), (8, 24, 1, 9), (6, 10, 2, 12), (10, 10, 2, 13))


def _primer_cases() -> list[tuple[int, int, int, int]]:
    generator, _ = fresh_generator()
    in_channels, out_channels, stride, grid = (
        int(torch.randint(low, high, (1,), generator=generator)) for low, high in ((3, 21), (3, 21), (1, 3), (5, 15))
    )
    return [*PRIMER_CASES, (in_channels, out_channels, stride, grid)]


def _known_slip(block: nn.Module, reference: BasicBlock, x: torch.Tensor) -> str | None:
    """Name the slip when the block (holding the reference's weights) computes one of the usual
    wrong formulas; ``None`` otherwise."""
    block.eval()
    reference.eval()
    with torch.no_grad():
        try:
            output = block(x)
        except Exception:  # noqa: BLE001 - compare_modules has reported it
            return None
        residual = reference.bn2(reference.conv2(reference.conv1(x)))
        shortcut = reference.shortcut(x)
        slips = {
            "the shortcut is missing: add the block's input (or its projection) to F(x)": torch.relu(residual),
            "the ReLU comes after the sum only: F(x) ends with batch norm, no ReLU, before the addition":
                torch.relu(torch.relu(residual) + shortcut),
            "the final ReLU is missing: y = relu(F(x) + shortcut(x))": residual + shortcut,
        }
    for message, wrong in slips.items():
        if output.shape == wrong.shape and torch.allclose(output, wrong, atol=1e-5):
            return message
    return None


@checker("Exercise: the ResNet residual block")
def check_residual_block(report: Report, student: Any) -> None:
    """Check ``student(in_channels, out_channels, stride)``: ``relu(F(x) + shortcut(x))`` with
    ``F`` = 3x3 conv-BN-ReLU (stride), 3x3 conv-BN, and an identity shortcut when the shape is
    kept, else a strided 1x1 conv with BN."""
    for in_channels, out_channels, stride, grid in _primer_cases():
        block = build(report, student, (in_channels, out_channels, stride), "residual block")
        if block is None:
            return
        if refuse_library(report, block, allowed=(ConvBNReLU, nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Identity, nn.Sequential),
                          write_instead="build it from nn.Conv2d, nn.BatchNorm2d and nn.ReLU (or ConvBNReLU)"):
            return
        reference = BasicBlock(in_channels, out_channels, stride)
        extra = sum(p.numel() for p in block.parameters()) - sum(p.numel() for p in reference.parameters())
        what = f"block ({in_channels} -> {out_channels} channels, stride {stride})"
        if (in_channels, stride) == (out_channels, 1) and extra > 0:
            report.fail(f"your {what} has {extra:,} parameters too many: when the shape does not change the"
                        " shortcut is the identity (no parameters)")
            return
        if (in_channels, stride) != (out_channels, 1) and extra < 0:
            report.fail(f"your {what} has {-extra:,} parameters too few: when the channels or the grid change,"
                        " the shortcut is a projection (a 1x1 conv with that stride, no bias, then batch norm)")
            return
        randomize_batchnorm(reference)
        x = torch.randn(2, in_channels, grid, grid, generator=torch.Generator().manual_seed(stride + out_channels))
        what += f" on a {grid}x{grid} grid"
        untouched = Untouched(x=x)
        compare_modules(report, block, reference, x, what)
        if untouched.refuse_changes(report, f"your {what}"):
            return
        if report.failed:
            slip = _known_slip(block, reference, x)
            if slip:
                report.fail(slip)
            return
        report.ok(f"the {what} computes what ResNet's does, in eval and training mode")


#: (scale, input channels, grid): IR-v2's scale for its 35x35 blocks on its 320 channels, the top of
#: the paper's 0.1-0.3 range, no scaling, nearly none and a negative one (which only a block that
#: multiplies by self.scale as it is gets right), on non-round widths and even grids; a drawn case follows.
SCALES = ((0.17, 320, 17), (0.3, 37, 8), (1.0, 24, 9), (0.01, 40, 6), (-0.2, 33, 10))


def _scale_cases() -> list[tuple[float, int, int]]:
    generator, _ = fresh_generator()
    scale = round(float(torch.rand(1, generator=generator)) * 1.5 - 0.5, 3)
    channels, grid = (int(torch.randint(low, high, (1,), generator=generator)) for low, high in ((16, 65), (5, 13)))
    return [*SCALES, (scale, channels, grid)]


def _slips(x: torch.Tensor, branches: torch.Tensor, residual: torch.Tensor, scale: float) -> dict[str, torch.Tensor]:
    """What common wrong forward passes return, each with the advice that fixes it."""
    relu = torch.relu
    return {
        "your forward returns the concatenated branches only: pass them through self.up, scale,"
        " add the input x and apply the ReLU": branches,
        "the residual is not scaled: multiply self.up(...) by self.scale before adding it to x": relu(x + residual),
        "you scaled the whole sum; scale only the residual - the shortcut x is added unchanged":
            relu(scale * (x + residual)),
        "the ReLU after the addition is missing": x + scale * residual,
        "the shortcut is missing: add the block's input x to the scaled residual": relu(scale * residual),
        "the ReLU is applied before the addition; apply it to the sum": x + relu(scale * residual),
    }


def _same(output: object, expected: torch.Tensor) -> bool:
    return (
        isinstance(output, torch.Tensor)
        and output.shape == expected.shape
        and torch.allclose(output, expected, atol=1e-5)
    )


def _check_scale(report: Report, student_block: Callable[..., nn.Module], scale: float, x: torch.Tensor) -> None:
    """Build the student's block with IR-v2's 35x35 branches at ``scale`` and compare its output."""
    reference = InceptionResNetA(x.shape[1], RESNET_A_FILTERS["inception_resnet_v2"], scale)
    randomize_batchnorm(reference)
    reference.eval()
    concat, depth = reference.up.in_channels, reference.up.out_channels
    given = copy.deepcopy(list(reference.branches))
    student, error = run(student_block, given, concat, depth, scale)
    name = getattr(student_block, "__name__", "your class")
    if error is not None:
        report.fail(f"building it as {name}(branches, {concat}, {depth}, {scale}) raised {error}")
        return
    if not isinstance(student, nn.Module):
        report.fail(f"{name}(branches, {concat}, {depth}, {scale}) should build a torch.nn.Module, got {shape_of(student)}")
        return
    if refuse_library(report, student, given=given, write_instead="write the forward pass of the lesson's MyResidualBlock"):
        return
    up = getattr(student, "up", None)
    if not isinstance(up, nn.Conv2d) or up.weight.shape != reference.up.weight.shape:
        report.fail(
            f"the block needs self.up, the 1x1 'filter expansion' conv from {concat} to {depth}"
            f" channels, so that the residual can be added to the input; found {up!r}"
        )
        return
    if up.bias is None:
        report.fail(
            "self.up has no bias: the filter expansion is a linear 1x1 conv with a bias (and no batch norm),"
            " as the lesson's constructor builds it - keep nn.Conv2d(concat_channels, out_channels, kernel_size=1)"
        )
        return
    with torch.no_grad():
        up.weight.copy_(reference.up.weight)
        up.bias.copy_(reference.up.bias)
    if any(
        isinstance(layer, nn.modules.batchnorm._BatchNorm) and not name.startswith("branches")
        for name, layer in student.named_modules()
    ):
        report.fail(
            "there is a batch norm outside the branches: the paper has none after the addition"
            " (it saves memory), remove it"
        )
        return
    untouched = Untouched(x=x)
    output, error = run(student.eval(), x)
    if error is not None:
        report.fail(f"calling your block on an input of shape {shape_of(x)} raised {error}")
        return
    with torch.no_grad():
        branches = torch.cat([branch(x) for branch in reference.branches], dim=1)
        slips = _slips(x, branches, reference.up(branches), scale)
        expected = reference(x)
    if untouched.refuse_changes(report, "your block's forward"):
        return
    if _same(output, expected):
        torch.manual_seed(0)
        in_training, error = run(student.train(), x.clone())
        torch.manual_seed(0)
        expected_in_training, _ = run(reference.train(), x)
        if error is not None or not _same(in_training, expected_in_training):
            report.fail(
                f"with scale={scale} your block matches in eval mode but not in training mode"
                + (f" (it raised {error})" if error else "")
                + ": something acts only while training, such as a Dropout the block does not have"
            )
            return
        report.ok(f"scale={scale}, input {shape_of(x)}: relu(x + {scale} * up(concat(branches))) matches the library's"
                  " block, in eval and training mode")
        return
    advice = next((advice for advice, wrong in slips.items() if _same(output, wrong)), None)
    if advice is not None:
        report.fail(advice)
    elif not isinstance(output, torch.Tensor) or output.shape != expected.shape:
        report.fail(f"the output has shape {shape_of(output)}; a residual block keeps its input's {shape_of(expected)}")
    else:
        hint = "use self.scale, not a fixed number" if report.checks else "check the order of the operations"
        report.fail(
            f"with scale={scale} the output differs from relu(x + scale * self.up(concat)) by up to"
            f" {(output - expected).abs().max().item():.3g}: {hint}"
        )


@checker("Exercise: the residual block with scaling")
def check_residual_scaling(report: Report, student_block: Callable[..., nn.Module]) -> None:
    """Check a residual block class whose ``forward`` should compute
    ``relu(x + scale * up(concat(branches(x))))`` - with no batch norm after the addition."""
    if isinstance(student_block, nn.Module):
        report.fail("pass the class itself (e.g. MyResidualBlock), not a built block: the checker builds it")
        return
    if not callable(student_block):
        report.fail(f"expected a class taking (branches, concat_channels, out_channels, scale), got {type(student_block).__name__}")
        return
    if refuse_library(report, student_block, write_instead="write the forward pass of the lesson's MyResidualBlock"):
        return
    generator = torch.Generator().manual_seed(1)
    for scale, channels, grid in _scale_cases():
        _check_scale(report, student_block, scale, torch.randn(2, channels, grid, grid, generator=generator))
        if report.failed:
            return
    report.ok("no batch norm after the addition")


CHANNELS = 896  # the 17x17 grid's depth in Inception-ResNet-v1 (after Reduction-A)


@checker("Exercise: the Inception-ResNet-B block")
def check_inception_resnet_b(report: Report, student_block: Any) -> None:
    """Check a built Inception-ResNet-v1 B block: 1x1 (128) | 1x1 (128) -> 1x7 (128) -> 7x1 (128),
    concatenated, a linear 1x1 up to 896 channels, scaled by 0.10, added to the input, ReLU."""
    if not isinstance(student_block, nn.Module):
        report.fail(f"pass your block, built (an nn.Module), got {type(student_block).__name__}")
        return
    if refuse_library(report, student_block, allowed=(ConvBNReLU, InceptionBlock, ResidualInceptionBlock),
                      write_instead="build the branches from ConvBNReLU and pass them to ResidualInceptionBlock"):
        return
    reference = InceptionResNetB(CHANNELS, RESNET_B_FILTERS["inception_resnet_v1"], RESIDUAL_SCALES[1])
    randomize_batchnorm(reference)
    with torch.no_grad():
        reference.up.bias.normal_(0, 0.1, generator=torch.Generator().manual_seed(2))
    generator = torch.Generator().manual_seed(1)
    for batch, grid in ((2, 17), (3, 8)):  # the paper's odd 17x17 grid, then an even one
        x = torch.randn(batch, CHANNELS, grid, grid, generator=generator)
        untouched = Untouched(x=x)
        compare_modules(report, student_block, reference, x, "Inception-ResNet-B block")
        if untouched.refuse_changes(report, "your block"):
            return
        if report.failed:
            return
    report.ok(f"the library's InceptionResNetB({CHANNELS}, scale {RESIDUAL_SCALES[1]}) in every respect, on odd and even grids")


IR_V1_ALLOWED = (
    ir.StemV1, ir.InceptionResNetA, ir.InceptionResNetB, ir.InceptionResNetC, ir.InceptionResNetReductionB,
    v4.ReductionA, v4.REDUCTION_A_FILTERS, ir.RESNET_A_FILTERS, ir.RESNET_B_FILTERS, ir.RESNET_C_FILTERS,
    ir.REDUCTION_B_FILTERS, ir.RESIDUAL_SCALES, ir.DEPTHS_PAPER, InceptionNet, ConvBNReLU, InceptionBlock,
    ResidualInceptionBlock, scale_channels,
)


def _ir_v1(num_classes: int, width: float, depths: tuple[int, int, int]) -> nn.Module:
    return create_model("inception_resnet_v1", num_classes=num_classes, width=width, depths=depths)


@checker("Exercise: Inception-ResNet-v1 from its stem and blocks")
def check_inception_resnet_v1(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(num_classes, width, depths)`` -> Inception-ResNet-v1 assembled from the
    library's ``StemV1``, residual blocks (with their scales 0.17, 0.10, 0.20), ``ReductionA``
    (k, l, m, n = 192, 192, 256, 384) and ``InceptionResNetReductionB``."""
    compare_network(report, student_fn, _ir_v1, IR_V1_ALLOWED, "Inception-ResNet-v1")
