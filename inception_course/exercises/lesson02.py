"""Lesson 2's checkers (BN-Inception and Inception-v3), in the lesson's order.

* ``check_factorized_conv``: a class ``(in_channels, out_channels, n)`` that replaces an n x n conv
  by a 1 x n then an n x 1 conv: exactly those two convs, no bias, the middle width
  ``out_channels``, the grid kept, and a rank-1 n x n kernel reproduced exactly;
* ``check_label_smoothing``: ``smoothed_cross_entropy(logits, labels, smoothing)``, the target
  ``(1 - eps) * one_hot + eps / K``, against ``nn.CrossEntropyLoss(label_smoothing=eps)`` (values
  and gradients); handing the smoothing to PyTorch is refused;
* ``check_grid_reduction``: Inception-v3's efficient grid reduction, a class
  ``(in_channels, ch3x3, dbl3x3red, dbl3x3)`` built with several filter sets (so that typed-in
  numbers fail) and compared with the library's block in eval and in training mode.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ..models.inception_v3 import ReductionA as V3Reduction
from ..models.layers import ConvBNReLU, InceptionBlock
from .checking.authorship import refuse_library
from .checking.compare import (
    build,
    compare_built_block,
    count_parameters,
    gradient_problem,
    randomize_batchnorm,
    run,
    shape_of,
)
from .checking.inputs import IN_PLACE, Untouched
from .checking.result import Report, checker

#: (in_channels, out_channels, n, batch size, height, width): wider, narrower, odd widths; batch
#: sizes 1 to 3; odd and even grids, none square.
SIZES = ((8, 16, 7, 2, 13, 11), (16, 8, 3, 1, 12, 10), (3, 5, 5, 3, 9, 14))

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict, nn.Identity)


def _convs(module: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    return [(name, layer) for name, layer in module.named_modules() if isinstance(layer, nn.Conv2d)]


def _build(report: Report, factory: Callable[..., object], c_in: int, c_out: int, n: int) -> nn.Module | None:
    module, error = run(factory, c_in, c_out, n)
    call = f"{getattr(factory, '__name__', 'it')}({c_in}, {c_out}, {n})"
    if error is not None:
        report.fail(f"{call} raised {error}")
    elif not isinstance(module, nn.Module):
        report.fail(f"{call} should build a torch.nn.Module, got {type(module).__name__}")
    elif refuse_library(report, module, write_instead="use two nn.Conv2d"):
        pass
    else:
        return module
    return None


def _check_structure(report: Report, module: nn.Module, c_in: int, c_out: int, n: int) -> list[nn.Conv2d]:
    """The two convs in the order they must run, or ``[]`` after a failure."""
    where = f"built with ({c_in}, {c_out}, {n})"
    convs = _convs(module)
    kernels = [tuple(conv.kernel_size) for _, conv in convs]
    if kernels == [(n, n)]:
        report.fail(f"{where}, your module holds one {n}x{n} conv: split it into a 1x{n} conv and a {n}x1 conv")
        return []
    if sorted(kernels) != sorted([(1, n), (n, 1)]):
        report.fail(f"{where}, expected exactly two convs with kernels 1x{n} and {n}x1, found {kernels or 'none'}")
        return []
    for name, layer in module.named_modules():
        if not isinstance(layer, (nn.Conv2d, *CONTAINERS)) and not list(layer.children()):
            report.fail(
                f"{where}, your module has a {type(layer).__name__} ({name}): the exercise asks for the two convs"
                " back to back, with nothing between or after them (no batch norm, ReLU or dropout)"
            )
            return []
    for name, conv in convs:
        if conv.bias is not None:
            report.fail(f"the {conv.kernel_size[0]}x{conv.kernel_size[1]} conv ({name}) has a bias: build both convs with bias=False")
            return []
        if conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1 or conv.padding_mode != "zeros":
            report.fail(
                f"the {conv.kernel_size[0]}x{conv.kernel_size[1]} conv ({name}) has stride {conv.stride},"
                f" dilation {conv.dilation}, groups {conv.groups}, padding_mode {conv.padding_mode!r}:"
                " keep the defaults (1, 1, 1, 'zeros')"
            )
            return []
    takes_input = [conv for _, conv in convs if conv.in_channels == c_in]
    if not takes_input:
        widths = ", ".join(f"{conv.in_channels} -> {conv.out_channels}" for _, conv in convs)
        report.fail(f"{where}, no conv takes the {c_in} input channels (the convs go {widths}): use in_channels")
        return []
    first = takes_input[0] if len(takes_input) == 1 or c_in != c_out else convs[0][1]
    second = next(conv for _, conv in convs if conv is not first)
    if (first.in_channels, first.out_channels, second.in_channels, second.out_channels) != (c_in, c_out, c_out, c_out):
        report.fail(
            f"{where}, the convs go {first.in_channels} -> {first.out_channels} and {second.in_channels} ->"
            f" {second.out_channels} channels: the first should go from in_channels to out_channels ({c_in} -> {c_out})"
            f" and the second keep out_channels ({c_out} -> {c_out}) - the middle width is out_channels"
        )
        return []
    return [first, second]


def _check_output(report: Report, module: nn.Module, convs: list[nn.Conv2d], size: tuple[int, ...]) -> None:
    """The module's output must be its own two convs applied back to back, keep the grid and leave
    the input as it was."""
    c_in, c_out, n, batch, height, width = size
    x = torch.randn(batch, c_in, height, width, generator=torch.Generator().manual_seed(n))
    first, second = convs
    with torch.no_grad():
        expected = F.conv2d(F.conv2d(x, first.weight, padding=first.padding), second.weight, padding=second.padding)
    for mode in ("eval", "train"):
        module.train(mode == "train")
        inputs = Untouched(x)
        output, error = run(module, x)
        if error is not None:
            report.fail(f"built with ({c_in}, {c_out}, {n}), calling it in {mode} mode on {shape_of(x)} raised {error}")
            return
        if inputs.changed():
            report.fail(f"built with ({c_in}, {c_out}, {n}), your module changed its input in place ({', '.join(inputs.changed())}): {IN_PLACE}")
            return
        if not isinstance(output, torch.Tensor) or tuple(output.shape) != (batch, c_out, height, width):
            report.fail(
                f"built with ({c_in}, {c_out}, {n}), on an input of shape {shape_of(x)} it returned {shape_of(output)},"
                f" expected {(batch, c_out, height, width)}: pad the 1x{n} conv by (0, {n // 2}) and the {n}x1 conv by"
                f" ({n // 2}, 0) to keep the grid"
            )
            return
        if expected.shape != output.shape or not torch.allclose(output, expected, atol=1e-5):
            report.fail(
                f"built with ({c_in}, {c_out}, {n}), in {mode} mode its output is not its two convs applied one"
                " after the other: forward should return conv2(conv1(x)), with nothing else applied"
            )
            return


def _check_rank_one(report: Report, factory: Callable[..., object], n: int) -> None:
    """With one input and one output channel, load a row into the 1 x n conv and a column into the
    n x 1 conv: the result must equal the n x n conv with kernel column @ row."""
    generator = torch.Generator().manual_seed(n)
    row, column = torch.randn(n, generator=generator), torch.randn(n, generator=generator)
    x = torch.randn(2, 1, 2 * n + 3, 2 * n + 3, generator=generator)
    module = _build(report, factory, 1, 1, n)
    if module is None or not _check_structure(report, module, 1, 1, n):
        return
    with torch.no_grad():
        for _, conv in _convs(module):
            conv.weight.copy_((row if conv.kernel_size == (1, n) else column).view(conv.weight.shape))
    output, error = run(module.eval(), x)
    expected = F.conv2d(x, torch.outer(column, row).view(1, 1, n, n), padding=n // 2)
    if error is not None:
        report.fail(f"with one channel and n={n}, calling your module raised {error}")
    elif not isinstance(output, torch.Tensor) or output.shape != expected.shape:
        report.fail(f"with one channel and n={n} the output has shape {shape_of(output)}, expected {shape_of(expected)}")
    elif not torch.allclose(output, expected, atol=1e-5):
        report.fail(
            f"a rank-1 {n}x{n} kernel (column x row) should give exactly the {n}x{n} conv's output,"
            f" but yours differs by up to {(output - expected).abs().max().item():.3g}: keep the two"
            " convs back to back, with nothing (no batch norm, no ReLU) between or after them"
        )


@checker("Exercise: factorise an n x n convolution")
def check_factorized_conv(report: Report, student: Callable[..., nn.Module]) -> None:
    """Check ``student(in_channels, out_channels, n)`` -> a module computing a 1 x n conv then an
    n x 1 conv (or the reverse) without bias, that keeps the grid size. ``student`` is usually the
    class itself."""
    if isinstance(student, nn.Module):
        report.fail("pass the class (or a function) that builds the module, e.g. FactorizedConv, not an instance")
        return
    if not callable(student):
        report.fail(f"expected a class or function taking (in_channels, out_channels, n), got {type(student).__name__}")
        return
    if refuse_library(report, student, write_instead="use two nn.Conv2d"):
        return
    for size in SIZES:
        c_in, c_out, n = size[:3]
        module = _build(report, student, c_in, c_out, n)
        if module is None:
            return
        convs = _check_structure(report, module, c_in, c_out, n)
        if not convs:
            return
        _check_output(report, module, convs, size)
        if report.failed:
            return
        full = n * n * c_in * c_out
        weights = sum(conv.weight.numel() for conv in convs)
        if weights >= full:
            report.fail(f"built with ({c_in}, {c_out}, {n}), its convs hold {weights:,} weights, no fewer than the full {n}x{n} conv's {full:,}")
            return
        report.ok(
            f"({c_in}, {c_out}, {n}): a 1x{n} and a {n}x1 conv without bias, {c_in} -> {c_out} -> {c_out} channels,"
            f" grid kept, {count_parameters(module):,} weights instead of {full:,}"
        )
    for n in (3, 5, 7):
        _check_rank_one(report, student, n)
        if report.failed:
            return
    report.ok("reproduces a rank-1 n x n conv exactly, for n = 3, 5 and 7")


TOLERANCE = 1e-5


@contextlib.contextmanager
def _smoothing_tripwire() -> Iterator[None]:
    """Make PyTorch's cross-entropy raise the tripwire when asked to smooth labels."""
    original = torch._C._nn.cross_entropy_loss  # noqa: SLF001

    def guarded(*args: Any, **kwargs: Any) -> Any:
        smoothing = kwargs.get("label_smoothing", args[5] if len(args) > 5 else 0.0)
        if smoothing:
            raise LookupError("inception_course exercise tripwire: label_smoothing handed to PyTorch")
        return original(*args, **kwargs)

    torch._C._nn.cross_entropy_loss = guarded  # noqa: SLF001
    try:
        yield
    finally:
        torch._C._nn.cross_entropy_loss = original  # noqa: SLF001


def _smoothing_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    """(logits, labels, smoothing): ImageNet's 1000 classes, no smoothing, much smoothing, then three
    cases drawn with a seeded generator (batch sizes, classes, smoothing that is not round)."""
    generator = torch.Generator().manual_seed(0)
    settings = [(8, 10, 0.1), (5, 1000, 0.1), (6, 3, 0.2), (4, 10, 0.0), (7, 4, 0.5)]
    for _ in range(3):
        n, classes = (int(v) for v in torch.randint(1, 12, (2,), generator=generator) + torch.tensor([0, 2]))
        settings.append((n, classes, round(float(torch.rand(1, generator=generator)) * 0.4, 3)))
    cases = []
    for n, classes, smoothing in settings:
        logits = torch.randn(n, classes, generator=generator) * 3
        cases.append((logits, torch.randint(classes, (n,), generator=generator), smoothing))
    return cases


def _smoothing_slips(logits: torch.Tensor, labels: torch.Tensor, eps: float) -> dict[str, float]:
    log_p = logits.log_softmax(dim=1)
    classes = logits.shape[1]
    one_hot = F.one_hot(labels, classes).float()
    others = (1 - eps) * one_hot + eps / max(classes - 1, 1) * (1 - one_hot)
    return {
        "the smoothing mass is spread over the K - 1 wrong classes only; spread eps / K over all K classes,"
        " the true one included": -(others * log_p).sum(1).mean().item(),
        "the loss is summed over the batch; take the mean over the examples": F.cross_entropy(logits, labels, reduction="sum").item()
        * (1 - eps) + eps * -(log_p.mean(1)).sum().item(),
        "no smoothing is applied: mix the one-hot target with the uniform distribution, (1 - eps) * one_hot + eps / K":
            F.cross_entropy(logits, labels).item(),
        "the target keeps its full weight 1 on the true class; it should be (1 - eps) * one_hot + eps / K":
            -((one_hot + eps / classes) * log_p).sum(1).mean().item(),
        "the smoothing 0.1 is typed in: use the smoothing argument": nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels).item(),
    }


@checker("Exercise: label smoothing")
def check_label_smoothing(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(logits, labels, smoothing)`` -> the label-smoothed cross-entropy (a mean):
    its value, its gradient with respect to the logits (back-propagated), and the inputs left as they were."""
    if not callable(student_fn):
        report.fail(f"expected a function smoothed_cross_entropy(logits, labels, smoothing), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="build the smoothed target yourself"):
        return
    for logits, labels, eps in _smoothing_cases():
        logits.requires_grad_()
        with torch.enable_grad():
            reference = nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels)
        expected = reference.item()
        case = f"{logits.shape[0]} examples, {logits.shape[1]} classes, smoothing {eps}"
        inputs = Untouched(logits, labels)
        with _smoothing_tripwire():
            answer, error = run(student_fn, logits, labels, eps, grad=True)
        if error is not None and "exercise tripwire" in error:
            report.fail("your function passes label_smoothing to PyTorch's cross-entropy: build the smoothed target yourself")
            return
        if error is not None:
            report.fail(f"{case}: smoothed_cross_entropy raised {error}")
            return
        if inputs.changed():
            report.fail(f"{case}: smoothed_cross_entropy changed its input in place ({', '.join(inputs.changed())}): {IN_PLACE}")
            return
        if not isinstance(answer, torch.Tensor) or answer.numel() != 1:
            report.fail(f"{case}: return the loss as a one-number tensor, got {shape_of(answer)}")
            return
        if abs(answer.item() - expected) > TOLERANCE:
            advice = next((w for w, v in _smoothing_slips(logits.detach(), labels, eps).items() if abs(v - answer.item()) <= TOLERANCE), None)
            report.fail(f"{case}: yours {answer.item():.5f}, expected {expected:.5f}: " + (
                advice or "the loss is -sum(target * log_softmax(logits)) averaged over the batch, with target ="
                " (1 - eps) * one_hot + eps / K"))
            return
        problem = gradient_problem(answer, reference, {"the logits": logits})
        if problem is not None:
            report.fail(f"{case}: {problem}")
            return
        report.ok(f"{case}: {expected:.4f}, and the same gradient")


ALLOWED = (ConvBNReLU, InceptionBlock)

#: ((in_channels, ch3x3, dbl3x3red, dbl3x3), grid, batch size): Inception-v3's reduction (288 -> 768
#: channels; on a 17x17 grid to keep it fast), a small set on 35x35, then odd widths on an even grid
#: (where a 3x3/2 pool or conv that rounds up, ceil_mode, or pads shows).
GRID_REDUCTION_CASES = (((288, 384, 64, 96), 17, 2), ((40, 24, 8, 16), 35, 1), ((23, 13, 7, 11), 18, 3))


def _input(channels: int, grid: int, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, channels, grid, grid, generator=torch.Generator().manual_seed(1))


@checker("Exercise: Inception-v3's efficient grid size reduction")
def check_grid_reduction(report: Report, student_class: Any) -> None:
    """Check ``student_class(in_channels, ch3x3, dbl3x3red, dbl3x3)``: 3x3/2 conv | 1x1 -> 3x3 -> 3x3/2
    | 3x3/2 max pool, concatenated (Inception-v3's 35x35 -> 17x17 block)."""
    if refuse_library(report, student_class, allowed=ALLOWED, write_instead="build it from ConvBNReLU and InceptionBlock"):
        return
    for args, grid, batch in GRID_REDUCTION_CASES:
        student = build(report, student_class, args, "grid reduction")
        if student is None:
            return
        reference = V3Reduction(*args)
        randomize_batchnorm(reference)
        compare_built_block(report, student, reference, _input(args[0], grid, batch), allowed=ALLOWED)
        if report.failed:
            report.messages[-1] = f"with {_named(args, ('in_channels', 'ch3x3', 'dbl3x3red', 'dbl3x3'))}: " + report.messages[-1]
            return
        report.ok(f"{_named(args, ('in_channels', 'ch3x3', 'dbl3x3red', 'dbl3x3'))} on {batch} image(s) of {grid}x{grid}:"
                  " as the library's block")


def _named(values: tuple[int, ...], names: tuple[str, ...]) -> str:
    return ", ".join(f"{n}={v}" for n, v in zip(names, values))
