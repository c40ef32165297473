"""Lesson 1's checkers (GoogLeNet), in the lesson's order.

* ``check_inception_v1_module``: the student's module 3a (28x28x192 -> 28x28x256), built, against
  the library's :class:`~inception_course.models.googlenet.InceptionModule` (the paper's: no batch
  norm; with batch norm it is checked against torchvision's variant);
* ``check_module_macs``: ``module_macs(c_in, row, grid)`` -> the four branches' multiply-adds,
  against what :func:`~inception_course.models.describe.describe` measures, on all three grids;
* ``check_aux_classifier``: ``AuxHead(in_channels, num_classes)``, the paper's auxiliary classifier
  (5x5/3 average pool, no batch norm, dropout 0.7), in eval and in training mode;
* ``check_aux_loss``: ``training_loss(outputs, labels, aux_weights)``, the main cross-entropy plus
  ``weight * cross-entropy`` of each auxiliary head, against the trainer's own loss.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..models.describe import describe
from ..models.googlenet import TABLE_1, AuxClassifier, InceptionModule, InceptionRow
from ..models.layers import ConvBNReLU
from ..training.presets import MODEL_PRESETS
from ..training.trainer import Trainer
from .checking.authorship import refuse_library
from .checking.compare import (
    as_number,
    build,
    compare_block_at_sizes,
    compare_modules,
    gradient_problem,
    run,
    shape_of,
)
from .checking.inputs import IN_PLACE, Untouched
from .checking.result import Report, checker


@checker("Exercise: GoogLeNet's Inception module 3a")
def check_inception_v1_module(report: Report, student_block: nn.Module) -> None:
    """Check a hand-built copy of GoogLeNet's module 3a (28x28x192 -> 28x28x256) against the library's.

    The target is the paper's module: 5x5 kernel, convs with bias and ReLU, no batch norm
    (``ConvBNReLU(..., bn=False)``; batch norm came a year later, lesson 2). A block with batch norm
    after every conv - torchvision's GoogLeNet - is checked against that variant instead and passes
    with a note, so that the exercise works either way.
    """
    with_bn = isinstance(student_block, nn.Module) and any(isinstance(m, nn.BatchNorm2d) for m in student_block.modules())
    if with_bn:
        report.ok("your block has batch norm, as torchvision's GoogLeNet; the 2014 paper had none (bn=False builds it so)")
    compare_block_at_sizes(report, student_block, InceptionModule(192, *TABLE_1["3a"], bn=with_bn), (2, 192, 28, 28))


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


def _macs_cases() -> list[tuple[str, int, InceptionRow, int]]:
    """(name, c_in, row, grid): five rows of the GoogLeNet paper's Table 1, then three made-up modules
    drawn with a seeded generator (odd widths, odd and even grids), so that answers typed in from the
    GoogLeNet paper's Table 1 do not pass."""
    inputs = module_inputs()
    cases = [(f"module {name}", inputs[name][0], TABLE_1[name], inputs[name][1]) for name in ("3a", "3b", "4a", "4e", "5b")]
    generator = torch.Generator().manual_seed(1)
    for grid in (9, 12, 15):
        c_in, *widths = (int(n) for n in torch.randint(3, 200, (7,), generator=generator))
        cases.append((f"a made-up module {tuple(widths)}", c_in, InceptionRow(*widths), grid))
    return cases


@checker("Exercise: the multiply-adds of an Inception module")
def check_module_macs(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(c_in, row, grid)`` -> the four branches' multiply-adds, in the order of the
    GoogLeNet paper's Table 1, on Table 1's modules and on made-up ones. Numbers of any kind count
    (Python's, numpy's)."""
    if not callable(student_fn):
        report.fail(f"expected a function module_macs(c_in, row, grid), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[InceptionRow],
                      write_instead="count with grid * grid * c_out * k * k * c_in (conv_macs)"):
        return
    for name, c_in, row, grid in _macs_cases():
        expected = reference_branch_macs(c_in, row, grid)
        answer, error = run(student_fn, c_in, row, grid)
        case = f"{name} (input {grid}x{grid}x{c_in})"
        if error is not None:
            report.fail(f"module_macs for {case} raised {error}")
            return
        if not isinstance(answer, (list, tuple)) or len(answer) != 4:
            report.fail(f"return a list of four numbers, one per branch ({', '.join(BRANCHES)}); got {answer!r}")
            return
        for index, (got, want) in enumerate(zip(answer, expected)):
            number = as_number(got)
            if number is None or number != want:
                words = _slip(index, number, c_in, row, grid) if number is not None else "return a number"
                report.fail(f"{case}, branch {index + 1} ({BRANCHES[index]}): yours {got!r}, describe() measures {want:,}: {words}")
                return
        report.ok(f"{case}: all four branches, {sum(expected):,} multiply-adds in all")


def _paper_aux(in_channels: int, num_classes: int) -> AuxClassifier:
    return AuxClassifier(in_channels, num_classes, nn.AvgPool2d(5, stride=3), bn=False)


#: (in_channels, num_classes, batch size, grid): after inception 4a and 4d (14x14, 512 and 528
#: channels), then odd widths, batch sizes 1 to 3 and 15x15 / 16x16 grids, where the 5x5/3 pool
#: still gives 4x4 only if it rounds down (no ceil_mode).
AUX_CASES = ((512, 10, 2, 14), (528, 7, 1, 15), (77, 3, 3, 16))


@checker("Exercise: GoogLeNet's auxiliary classifier")
def check_aux_classifier(report: Report, student_class: Any) -> None:
    """Check ``student_class(in_channels, num_classes)`` against the paper's auxiliary classifier
    on :data:`AUX_CASES`, in eval and in training mode."""
    if refuse_library(report, student_class, allowed=[ConvBNReLU], write_instead="build it from nn layers and ConvBNReLU"):
        return
    generator = torch.Generator().manual_seed(0)
    for in_channels, num_classes, batch, grid in AUX_CASES:
        student = build(report, student_class, (in_channels, num_classes), "auxiliary classifier")
        if student is None or refuse_library(report, student, allowed=[ConvBNReLU]):
            return
        reference = _paper_aux(in_channels, num_classes)
        x = torch.randn(batch, in_channels, grid, grid, generator=generator)
        compare_modules(report, student, reference, x, f"auxiliary classifier ({in_channels} channels, {num_classes} classes)")
        if report.failed:
            if grid != 14:
                report.messages[-1] += f" (on a {grid}x{grid} grid the 5x5/3 pool, rounding down, still gives 4x4)"
            return


TOLERANCE = 1e-5


def reference_loss(outputs: Any, labels: torch.Tensor, aux_weights: tuple[float, ...], smoothing: float = 0.0) -> torch.Tensor:
    """The trainer's loss for ``outputs`` (its ``_loss`` with a criterion and weights of our choice)."""
    trainer = SimpleNamespace(
        criterion=nn.CrossEntropyLoss(label_smoothing=smoothing), config=SimpleNamespace(aux_weights=aux_weights)
    )
    return Trainer._loss(trainer, outputs, labels)  # noqa: SLF001 - the library's own code, not a copy


def _aux_cases() -> list[tuple[str, Any, torch.Tensor, tuple[float, ...]]]:
    """(name, outputs, labels, aux_weights): the presets' weights, no head, then cases drawn with a
    seeded generator (batch sizes, classes, one to three auxiliary heads, weights that are not round)."""
    generator = torch.Generator().manual_seed(0)

    def logits(n: int, classes: int) -> torch.Tensor:
        return torch.randn(n, classes, generator=generator) * 2

    labels4, labels6 = torch.tensor([1, 0, 3, 2]), torch.tensor([4, 4, 0, 1, 2, 3])
    googlenet, v3 = MODEL_PRESETS["googlenet"]["aux_weights"], MODEL_PRESETS["inception_v3"]["aux_weights"]
    cases = [
        (f"GoogLeNet (weights {googlenet})", (logits(4, 5), logits(4, 5), logits(4, 5)), labels4, googlenet),
        (f"Inception-v3 (weights {v3})", (logits(6, 5), logits(6, 5)), labels6, v3),
        ("no auxiliary head (eval mode: a plain tensor, weights ())", logits(6, 5), labels6, ()),
        ("two heads with unequal weights (0.5, 0.1)", (logits(4, 5), logits(4, 5), logits(4, 5)), labels4, (0.5, 0.1)),
    ]
    for heads in (3, 1, 2):
        n, classes = (int(v) for v in torch.randint(1, 10, (2,), generator=generator) + torch.tensor([0, 2]))
        weights = tuple(round(float(w), 3) for w in torch.rand(heads, generator=generator))
        outputs = tuple(logits(n, classes) for _ in range(heads + 1))
        cases.append((f"{heads} heads, {n} example(s), {classes} classes, weights {weights}", outputs,
                      torch.randint(classes, (n,), generator=generator), weights))
    return cases


def _with_grad(outputs: Any) -> Any:
    """Fresh copies of the logits that record gradients (a tuple stays a tuple)."""
    if isinstance(outputs, tuple):
        return tuple(o.detach().clone().requires_grad_() for o in outputs)
    return outputs.detach().clone().requires_grad_()


def _aux_slips(outputs: Any, labels: torch.Tensor, weights: tuple[float, ...]) -> dict[str, torch.Tensor]:
    """Wrong totals a student may compute, each with the advice that fixes it."""
    if not isinstance(outputs, tuple):
        return {}
    ce = [F.cross_entropy(o, labels) for o in outputs]
    slips = {
        "the auxiliary losses are added without their weights: multiply each by its weight (0.3 for GoogLeNet)":
            sum(ce),
        "only the main classifier's loss: add weight * loss of every auxiliary output": ce[0],
        "the losses are averaged; the total is the main loss plus the weighted auxiliary losses, not a mean":
            sum(ce) / len(ce),
        "the main loss is weighted too; it counts in full, only the auxiliary losses are weighted":
            sum(w * c for w, c in zip((weights[0], *weights), ce)) if weights else ce[0],
    }
    if len(weights) > 1:
        slips["the weights are used in the wrong order (or always the first one): pair weight i with output i + 1"] = (
            ce[0] + sum(weights[0] * c for c in ce[1:])
        )
    return slips


@checker("Exercise: the training loss with auxiliary classifiers")
def check_aux_loss(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(outputs, labels, aux_weights)`` -> the main loss plus the weighted auxiliary
    losses: its value, its gradients with respect to every output (back-propagated), and the inputs
    left as they were."""
    if not callable(student_fn):
        report.fail(f"expected a function training_loss(outputs, labels, aux_weights), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="add up the cross-entropies yourself"):
        return
    for name, outputs, labels, weights in _aux_cases():
        outputs = _with_grad(outputs)
        with torch.enable_grad():
            expected = reference_loss(outputs, labels, weights)
        inputs = Untouched(outputs, labels)
        answer, error = run(student_fn, outputs, labels, weights, grad=True)
        if error is not None:
            report.fail(f"{name}: training_loss raised {error}")
            return
        if inputs.changed():
            report.fail(f"{name}: training_loss changed its input in place ({', '.join(inputs.changed())}): {IN_PLACE}")
            return
        if not isinstance(answer, torch.Tensor) or answer.numel() != 1:
            report.fail(f"{name}: return the loss as a one-number tensor (so that .backward() works), got {shape_of(answer)}")
            return
        if abs(answer.item() - expected.item()) > TOLERANCE:
            advice = next((w for w, v in _aux_slips(outputs, labels, weights).items() if abs(v.item() - answer.item()) <= TOLERANCE), None)
            report.fail(f"{name}: yours {answer.item():.5f}, expected {expected.item():.5f}: " + (
                advice or "main cross-entropy + sum of weight * cross-entropy of each auxiliary output"))
            return
        given = outputs if isinstance(outputs, tuple) else (outputs,)
        problem = gradient_problem(answer, expected, {
            ("the main logits" if i == 0 else f"auxiliary output {i}"): o for i, o in enumerate(given)})
        if problem is not None:
            report.fail(f"{name}: {problem}")
            return
        report.ok(f"{name}: {expected.item():.4f}, and the same gradients")
