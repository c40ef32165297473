"""Whole networks assembled from their blocks, compared with the library's: Inception-v4 (lesson 4)
and Inception-ResNet-v1 (lesson 5) share this comparison.

The student writes ``build(num_classes, width, depths)`` that puts the library's stem and blocks
together (stem -> A blocks -> Reduction-A -> B blocks -> Reduction-B -> C blocks -> average pool ->
dropout -> fully connected). The checker builds it and the library's network at a small width and
depth, copies the library's weights in (the classifier may be defined first or last), and compares
the logits in eval mode and - with the same random numbers - in training mode, where the dropout
acts. Each lesson's checker names the parts it allows; the library's network class and ``create_model``
are refused.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from ...models import inception_resnet as ir
from ...models import inception_v4 as v4
from ...models.layers import ResidualInceptionBlock
from .authorship import refuse_library
from .compare import (
    compare_training_mode,
    copy_state_in_order,
    count_parameters,
    differs,
    randomize_batchnorm,
    run,
    shape_of,
)
from .inputs import IN_PLACE, Untouched
from .result import Report

BLOCK_TYPES = (
    v4.Stem, v4.InceptionA, v4.InceptionB, v4.InceptionC, v4.ReductionA, v4.ReductionB, ir.StemV1,
    ir.InceptionResNetA, ir.InceptionResNetB, ir.InceptionResNetC, ir.InceptionResNetReductionB,
)
#: (num_classes, width, depths, image size, batch size): narrow and shallow, so that a check takes a
#: second. Width 0.2 is not round: a block's real width (the sum of its scaled branches, 306 for
#: Inception-C) differs from the nominal one scaled (1536 * 0.2 = 307); the depths are no palindrome;
#: the images odd and even (108 px leaves a 2x2 last grid); batch sizes 3 and 2 (a network in
#: training mode needs two images), then one image in eval mode.
CASES = ((10, 0.125, (1, 1, 1), 75, 3), (7, 0.2, (1, 2, 3), 108, 2))
WIDTH_HINT = (
    "; at a width that is not round a block's output depth can differ from its input depth by one (each"
    " branch's width is rounded): give each block the out_channels of the block before it"
)
STAGES = ("stem", "blocks_a", "reduction_a", "blocks_b", "reduction_b", "blocks_c")


def _ordered_state(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """The state dict in definition order, with the fully connected layers' entries last (the
    library defines its classifier before the stem; a student may define it after)."""
    linear = {f"{name}." for name, module in model.named_modules() if isinstance(module, nn.Linear)}
    state = list(model.state_dict().items())
    is_head = [any(key.startswith(prefix) for prefix in linear) for key, _ in state]
    return [item for item, head in zip(state, is_head) if not head] + [item for item, head in zip(state, is_head) if head]


def _copy(reference: nn.Module, student: nn.Module) -> str | None:
    mismatch = copy_state_in_order(reference, student, order=_ordered_state)
    if mismatch is None:
        return None
    hint = ("a block is missing or extra" if "weight and buffer tensors" in mismatch
            else "the blocks are in another order, or one was built with other numbers")
    return f"your network: {mismatch}: {hint}"


def _blocks(model: nn.Module) -> list[nn.Module]:
    """The stem and the Inception blocks of ``model``, in definition order (library classes only)."""
    return [module for module in model.modules() if type(module) in BLOCK_TYPES]


def _first_block_difference(student: nn.Module, reference: nn.Module) -> str:
    """Words for the first block that differs: a missing, extra or other block, or one built with
    other numbers (its width, or Reduction-A's k, l, m, n)."""
    mine, theirs = _blocks(student), _blocks(reference)
    for index, (a, b) in enumerate(zip(mine, theirs)):
        if type(a) is not type(b):
            return (
                f"block {index} is {type(a).__name__} where the reference has {type(b).__name__}"
                " (blocks in definition order: build the stages in the figure's order, with depths[i] blocks each)"
            )
        if count_parameters(a) != count_parameters(b):
            return (
                f"block {index} ({type(a).__name__}) has {count_parameters(a):,} parameters, the reference's"
                f" {count_parameters(b):,}: check its input depth, width and (Reduction-A) its k, l, m, n"
            )
    if len(mine) != len(theirs):
        names = ", ".join(type(m).__name__ for m in theirs[len(mine):][:3]) if len(mine) < len(theirs) else ""
        return (
            f"your network has {len(mine)} stem and Inception blocks, the reference {len(theirs)}"
            + (f"; missing after the last one: {names}" if names else "; use depths[i] blocks per stage")
        )
    return "the blocks match, so the difference is in the classifier: global average pool -> dropout -> one nn.Linear"


def _stage_hint(reference: nn.Module, x: torch.Tensor) -> str:
    """The reference's shape after each stage, to compare with the student's own."""
    shapes = []
    with torch.no_grad():
        for name in STAGES:
            x = getattr(reference, name)(x)
            shapes.append(f"{name} {tuple(x.shape[1:])}")
    return "; the reference's shapes: " + ", ".join(shapes)


def compare_network(
    report: Report, student_fn: Any, reference_fn: Callable[..., nn.Module], allowed: tuple, what: str
) -> None:
    """Build ``student_fn(num_classes, width, depths)`` for each of :data:`CASES` and compare it with
    ``reference_fn``'s network: the parts used (only ``allowed``), logits shape, parameters (with the
    first block that differs), the reference's weights copied in, the input left as it was, logits in
    eval and training mode."""
    if isinstance(student_fn, nn.Module) or not callable(student_fn):
        report.fail(f"pass your function build(num_classes, width, depths) (not a built network), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, allowed=allowed, write_instead=f"assemble {what} from its stem and blocks"):
        return
    for num_classes, width, depths, size, batch in CASES:
        case = f"build({num_classes}, width={width}, depths={depths}) on {batch} image(s) of {size} px"
        torch.manual_seed(0)
        student, error = run(student_fn, num_classes, width, depths)
        if error is not None:
            report.fail(f"{case} raised {error}")
            return
        if not isinstance(student, nn.Module):
            report.fail(f"{case} should return an nn.Module, got {type(student).__name__}")
            return
        if refuse_library(report, student, allowed=allowed, write_instead=f"assemble {what} from its stem and blocks"):
            return
        reference = reference_fn(num_classes, width, depths)
        randomize_batchnorm(reference)
        _randomize_residual_biases(reference)
        reference.eval()
        student.eval()
        x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
        expected, _ = run(reference, x)
        inputs = Untouched(x)
        output, error = run(student, x)
        if error is not None:
            hint = WIDTH_HINT if "channels" in error and width != CASES[0][1] else ""
            report.fail(f"{case}: calling your network raised {error}{hint}{_stage_hint(reference, x)}")
            return
        if inputs.changed():
            report.fail(f"{case}: your network changed its input in place ({', '.join(inputs.changed())}): {IN_PLACE}")
            return
        if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
            got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
            report.fail(f"{case}: your network returns {got}, expected logits {tuple(expected.shape)}")
            return
        mine, theirs = count_parameters(student), count_parameters(reference)
        if mine != theirs:
            report.fail(
                f"{case}: your network has {mine:,} parameters, the reference {theirs:,} ({mine - theirs:+,}): "
                + _first_block_difference(student, reference)
            )
            return
        mismatch = _copy(reference, student)
        if mismatch is not None:
            report.fail(f"{case}: {mismatch}")
            return
        output, error = run(student, x)
        if error is not None or not torch.allclose(output, expected, rtol=1e-4, atol=1e-5):
            report.fail(
                f"{case}: with the reference's weights copied in, your network computes other logits: check the"
                " order of the stages in forward, the global average pool before the classifier, and the"
                " residual scales (Inception-ResNet)" + _stage_hint(reference, x)
            )
            return
        single, error = run(student.eval(), x[:1])
        if error is not None or not isinstance(single, torch.Tensor) or differs(single, expected[:1]):
            got = f"raised {error}" if error is not None else f"returns {shape_of(single)}"
            report.fail(
                f"{case}: on a single image (eval mode) your network {got} where the reference's logits are"
                f" {shape_of(expected[:1])}: nothing may depend on the batch size (x.squeeze() also drops a batch of one)"
            )
            return
        compare_training_mode(report, student, reference, x)
        if report.failed:
            report.messages[-1] = f"{case}: " + report.messages[-1] + " (the network has one dropout, before fc)"
            return
        report.ok(f"{case}: the same logits as the library's network, in eval and in training mode, and on one image")


def _randomize_residual_biases(model: nn.Module) -> None:
    """Give the residual blocks' ``up`` convs biases of both signs, so that a block's final ReLU
    visibly changes its output (with fresh weights nearly every sum is positive)."""
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for block in model.modules():
            if isinstance(block, ResidualInceptionBlock):
                block.up.bias.copy_(torch.randn(block.up.bias.shape, generator=generator))
