"""Compare a student's module with the library's, step by step, in plain words.

The order of the checks is the order in which a student can act on them: is it the student's own
code (not the library's block), does it run, is the output the right shape, is the parameter
count right, and - with the library's weights copied in - does it compute the same thing in eval
mode and in training mode, and if not, in which branch and layer does it first differ. The first
failing step stops the comparison, since later steps would only repeat the same mistake in other
words.

Whole blocks go through :func:`compare_block` (with the branch and layer where they first differ),
:func:`compare_block_at_sizes` (then on inputs of other batch and grid sizes from :func:`sizes`)
and :func:`compare_built_block` (plus the refusal of the library's parts and training mode); other
modules (stems, heads: outputs of any shape) through :func:`compare_modules`. :func:`build` calls
the class or builder function a student hands in.

For functions: :func:`run` calls the student's code (with gradients for a loss), :class:`~.inputs.Untouched`
tells whether it changed its inputs in place, :func:`gradient_problem` back-propagates a loss
against the reference's, and :func:`as_number`, :func:`as_int`, :func:`as_bool` read an answer
given as a Python or numpy scalar or a one-element tensor.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable

import torch
from torch import nn

from ...models.layers import ConvBNReLU, InceptionBlock
from .authorship import refuse_library
from .inputs import IN_PLACE, Untouched
from .result import Report

BLOCK_PARTS = (ConvBNReLU, InceptionBlock)  # what a block exercise may be built from


def count_parameters(module: nn.Module) -> int:
    """Number of trainable numbers in ``module``."""
    return sum(p.numel() for p in module.parameters())


def shape_of(value: Any) -> str:
    """A tensor's shape as ``(2, 384, 35, 35)``, or the type name of anything else."""
    return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__


def run(module: Callable[..., Any], *args: Any, grad: bool = False) -> tuple[Any, str | None]:
    """Call ``module(*args)``, without gradients unless ``grad`` (a loss to back-propagate); return
    ``(output, None)`` or ``(None, error)``."""
    try:
        with torch.set_grad_enabled(grad):
            return module(*args), None
    except Exception as error:  # noqa: BLE001 - any error in student code becomes a message
        return None, f"{type(error).__name__}: {error}"


def randomize_batchnorm(module: nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm random statistics and affine weights, so that in eval mode each one
    changes its input visibly (fresh BN layers are the identity and would hide a missing one)."""
    generator = torch.Generator().manual_seed(seed)
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            size = layer.num_features
            layer.running_mean.copy_(torch.randn(size, generator=generator) * 0.1)
            layer.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
            layer.weight.data.copy_(torch.rand(size, generator=generator) + 0.5)
            layer.bias.data.copy_(torch.randn(size, generator=generator) * 0.1)


def copy_state_in_order(
    source: nn.Module, target: nn.Module,
    order: Callable[[nn.Module], list[tuple[str, torch.Tensor]]] = lambda model: list(model.state_dict().items()),
) -> str | None:
    """Copy ``source``'s weights and buffers into ``target`` entry by entry, in definition order.

    Names may differ (a student may call a branch ``b1``); only the sequence of shapes must match.
    ``order`` lists a module's entries (default: its state dict as defined). Returns ``None`` on
    success, else the first mismatch in words.
    """
    source_state, target_state = order(source), order(target)
    if len(source_state) != len(target_state):
        return f"it has {len(target_state)} weight and buffer tensors, the reference {len(source_state)}"
    for (source_name, source_value), (target_name, target_value) in zip(source_state, target_state):
        if source_value.shape != target_value.shape:
            return (
                f"its tensor {target_name} has shape {tuple(target_value.shape)} where the reference's"
                f" {source_name} has {tuple(source_value.shape)}"
            )
    with torch.no_grad():
        for (_, source_value), (_, target_value) in zip(source_state, target_state):
            target_value.copy_(source_value)
    return None


def _shapes(module: nn.Module) -> list[tuple[int, ...]]:
    return sorted(tuple(value.shape) for value in module.state_dict().values())


def branch_summary(block: nn.Module) -> list[str]:
    """One line per branch: its layers' kernel sizes and widths, e.g. ``1x1 conv 64 -> 3x3 conv 96``."""
    lines = []
    for branch in getattr(block, "branches", []):
        steps = []
        for layer in branch.modules():
            if isinstance(layer, nn.Conv2d):
                steps.append(f"{layer.kernel_size[0]}x{layer.kernel_size[1]} conv {layer.out_channels}")
            elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
                size = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
                steps.append(f"{size}x{size} {'max' if isinstance(layer, nn.MaxPool2d) else 'avg'} pool")
        lines.append(" -> ".join(steps))
    return lines


def _as_pair(value: Any) -> Any:
    """``3`` and ``(3, 3)`` mean the same kernel, stride or padding: compare them as pairs."""
    return (value, value) if isinstance(value, int) and not isinstance(value, bool) else value


def _pool_mismatch(student: nn.Module, reference: nn.Module) -> str | None:
    """Describe the first pooling layer that differs from the reference's, if any."""
    pools = (nn.MaxPool2d, nn.AvgPool2d)
    mine = [m for m in student.modules() if isinstance(m, pools)]
    theirs = [m for m in reference.modules() if isinstance(m, pools)]
    if len(mine) != len(theirs):
        return f"your block has {len(mine)} pooling layer(s), the reference {len(theirs)}"
    for index, (a, b) in enumerate(zip(mine, theirs)):
        if type(a) is not type(b):
            return f"pooling layer {index} is {type(a).__name__}, the reference's is {type(b).__name__}"
        for option in ("kernel_size", "stride", "padding", "count_include_pad"):
            if hasattr(b, option) and _as_pair(getattr(a, option)) != _as_pair(getattr(b, option)):
                hint = (
                    " (count_include_pad=False averages only the real pixels at the border, as"
                    " TensorFlow did when the network was trained)"
                    if option == "count_include_pad" else ""
                )
                return (
                    f"pooling layer {index} ({type(a).__name__}) has {option}={getattr(a, option)!r},"
                    f" the reference {option}={getattr(b, option)!r}{hint}"
                )
    return None


def differs(output: Any, expected: torch.Tensor) -> bool:
    """Whether ``output`` is not a tensor of ``expected``'s shape and values (to a float tolerance)."""
    return not (
        isinstance(output, torch.Tensor)
        and output.shape == expected.shape
        and torch.allclose(output, expected, rtol=1e-4, atol=1e-5)
    )


def _layers(branch: nn.Module) -> list[nn.Module]:
    return list(branch) if isinstance(branch, nn.Sequential) else [branch]


def locate_difference(student: nn.Module, reference: nn.Module, x: torch.Tensor) -> str:
    """Where the student's block first departs from the reference's: ``"branch 2, layer 1 (...)"``.

    Compares branch by branch, then layer by layer inside a branch, when the two blocks have the
    same layout; returns ``""`` when it cannot tell (different layouts, or every branch agrees).
    """
    mine, theirs = getattr(student, "branches", None), getattr(reference, "branches", None)
    if not isinstance(mine, nn.ModuleList) or theirs is None or len(mine) != len(theirs):
        return ""
    summary = branch_summary(reference)
    for index, (branch, expected_branch) in enumerate(zip(mine, theirs)):
        torch.manual_seed(0)
        output, error = run(branch, x)
        torch.manual_seed(0)
        expected, _ = run(expected_branch, x)
        if error is None and not differs(output, expected):
            continue
        where = f"branch {index} ({summary[index]})"
        layers, expected_layers = _layers(branch), _layers(expected_branch)
        if len(layers) != len(expected_layers):
            return where
        h, expected_h = x, x
        for step, (layer, expected_layer) in enumerate(zip(layers, expected_layers)):
            torch.manual_seed(0)
            h, error = run(layer, h)
            torch.manual_seed(0)
            expected_h, _ = run(expected_layer, expected_h)
            if error is not None or differs(h, expected_h):
                return f"{where}, layer {step} ({type(layer).__name__})"
        return where
    return ""


def compare_block(
    report: Report, student: Any, reference: nn.Module, x: torch.Tensor, allowed: tuple[Any, ...] = BLOCK_PARTS
) -> None:
    """Check that ``student`` behaves exactly like ``reference`` on input ``x``; fill ``report``.

    ``reference`` should have randomised batch norms (see :func:`randomize_batchnorm`) so that
    the final comparison notices a missing or extra BN. A student block that is, holds or calls
    the library's own implementation is refused (``allowed`` lists the library parts it may use).
    Outputs are compared in eval mode and then in training mode, where batch norm uses the batch's
    statistics and a stray ``Dropout`` shows.
    """
    layout = "; ".join(f"branch {i}: {line}" for i, line in enumerate(branch_summary(reference)))
    if isinstance(student, type):
        report.fail("you passed a class; pass a built block instead, e.g. MyBlock() rather than MyBlock")
        return
    if not isinstance(student, nn.Module):
        report.fail(f"expected a torch.nn.Module, got {type(student).__name__}")
        return
    write_instead = "build it from " + ", ".join(part.__name__ for part in allowed) + ", nn.Sequential and pooling layers"
    if refuse_library(report, student, allowed=allowed, write_instead=write_instead):
        return
    student.eval()
    reference.eval()
    expected, _ = run(reference, x)
    inputs = Untouched(x)
    output, error = run(student, x)
    if error is None and inputs.changed():
        report.fail(f"your block changed its input in place ({', '.join(inputs.changed())}): {IN_PLACE}")
        return
    if error is not None:
        hint = ""
        if "Sizes of tensors must match" in error:
            hint = (
                ": the branches return different grid sizes, so they cannot be concatenated; a k x k"
                " conv or pool with stride 1 keeps the grid only with padding k // 2"
            )
        report.fail(f"calling your block on an input of shape {shape_of(x)} raised {error}{hint}")
        return
    if not isinstance(output, torch.Tensor) or output.dim() != 4:
        report.fail(f"your block should return a 4-D tensor like {shape_of(expected)}, it returned {shape_of(output)}")
        return
    report.ok("it runs on an input of shape " + shape_of(x))
    if output.shape[0] != expected.shape[0]:
        report.fail(f"the output has batch size {output.shape[0]}, expected {expected.shape[0]}: keep one output per image")
    if output.shape[2:] != expected.shape[2:]:
        report.fail(
            f"the output grid is {output.shape[2]}x{output.shape[3]}, expected {expected.shape[2]}x{expected.shape[3]}:"
            " check the padding (a k x k conv with stride 1 keeps the grid with padding k // 2)"
            " and the strides"
        )
    if output.shape[1] != expected.shape[1]:
        report.fail(
            f"the output has {output.shape[1]} channels, expected {expected.shape[1]}: the branches"
            f" are concatenated, so their widths add up ({layout})"
        )
    if report.failed:
        return
    report.ok(f"output shape {shape_of(output)}")

    student_count, reference_count = count_parameters(student), count_parameters(reference)
    if student_count != reference_count:
        message = (
            f"your block has {student_count:,} parameters, the reference {reference_count:,}"
            f" ({student_count - reference_count:+,})"
        )
        student_branches = getattr(student, "branches", None)
        if isinstance(student_branches, nn.ModuleList) and len(student_branches) == len(reference.branches):
            for index, (mine, theirs) in enumerate(zip(student_branches, reference.branches)):
                if count_parameters(mine) != count_parameters(theirs):
                    message += (
                        f"; branch {index} has {count_parameters(mine):,}, the reference's branch"
                        f" {index} ({branch_summary(reference)[index]}) has {count_parameters(theirs):,}"
                    )
                    break
        report.fail(message + ". Every conv is conv -> batch norm -> ReLU without bias (ConvBNReLU).")
        return
    report.ok(f"{student_count:,} parameters, as the reference")

    mismatch = copy_state_in_order(reference, student)
    if mismatch is not None:
        same_layers = _shapes(student) == _shapes(reference)
        report.fail(
            ("you have the right layers but in another order, " if same_layers else "")
            + f"so the reference's weights cannot be copied into your block ({mismatch}):"
            f" build the branches and their layers in the reference's order ({layout})"
        )
        return
    pool_problem = _pool_mismatch(student, reference)
    if pool_problem is not None:
        report.fail(pool_problem)
        return
    for mode in ("eval", "train"):
        student.train(mode == "train")
        reference.train(mode == "train")
        torch.manual_seed(0)
        output, error = run(student, x)
        torch.manual_seed(0)
        expected, _ = run(reference, x)
        if error is not None:
            report.fail(f"in {mode} mode, with the reference's weights copied in, your block raised {error}")
            return
        if differs(output, expected):
            if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
                report.fail(f"in {mode} mode your block returned {shape_of(output)}, expected {shape_of(expected)}")
                return
            worst = (output - expected).abs().max().item()
            where = locate_difference(student, reference, x)
            if mode == "eval":
                advice = (
                    "check its kernel sizes, paddings and pooling type, that every conv has its batch norm"
                    " and ReLU, and the branch order"
                )
            else:
                advice = (
                    "in eval mode it matched, so something acts only while training - a Dropout or another"
                    " layer the exercise does not have"
                )
            report.fail(
                f"with the reference's weights copied in, in {mode} mode your block computes something else"
                f" (largest difference {worst:.3g})" + (f", first in {where}" if where else "") + f": {advice} ({layout})"
            )
            return
    student.eval()
    report.ok("with the reference's weights it computes exactly the reference's output, in eval and training mode")



def sizes(seed: int, count: int, low: int, high: int) -> list[tuple[int, int, int]]:
    """``count`` settings ``(batch, height, width)`` drawn with a generator seeded by ``seed`` (the
    same each call, so a result can be reproduced): batch sizes 1, 2, 3 in turn, odd and even
    heights in turn, from ``low`` to ``high``, and every grid after the first one not square."""
    generator = torch.Generator().manual_seed(seed)

    def draw(parity: int | None = None) -> int:
        while True:
            value = int(torch.randint(low, high + 1, (1,), generator=generator))
            if parity is None or value % 2 == parity:
                return value

    settings = []
    for index in range(count):
        height = draw(parity=(index + 1) % 2)
        width = height if index == 0 else draw()
        while index and width == height:
            width = draw()
        settings.append((1 + index % 3, height, width))
    return settings


def compare_block_at_sizes(
    report: Report, student: nn.Module, reference: nn.Module, input_shape: tuple[int, ...], seed: int = 0
) -> None:
    """:func:`compare_block` on ``input_shape`` (the paper's), then - weights already copied - on
    three smaller inputs from :func:`sizes` (batch sizes 1 to 3, odd and even, non-square grids),
    in eval and in training mode, so that nothing in the block may depend on the batch or grid size."""
    randomize_batchnorm(reference)
    generator = torch.Generator().manual_seed(seed)
    compare_block(report, student, reference, torch.randn(*input_shape, generator=generator))
    if report.failed:
        return
    for batch, height, width in sizes(seed, 3, 7, 16):
        x = torch.randn(batch, input_shape[1], height, width, generator=generator)
        for mode in ("eval", "train"):
            expected, _ = same_random_forward(reference, x, train=mode == "train")
            output, error = same_random_forward(student, x, train=mode == "train")
            if error is not None or differs(output, expected):
                got = f"raised {error}" if error else f"returned {shape_of(output)}" + (
                    " with other values" if shape_of(output) == shape_of(expected) else "")
                report.fail(
                    f"on an input of shape {shape_of(x)}, in {mode} mode, your block {got} where the reference's output"
                    f" is {shape_of(expected)}: nothing in it may depend on the batch size or grid size"
                    f" {tuple(input_shape)} it was first tried on (odd and even, square or not)"
                )
                break
        if report.failed:
            break
    reference.eval()
    student.eval()
    if not report.failed:
        report.ok("the same outputs on inputs of other batch and grid sizes: "
                  + ", ".join(f"{b}x{h}x{w}" for b, h, w in sizes(seed, 3, 7, 16)))


def same_random_forward(module: nn.Module, x: torch.Tensor, seed: int = 0, train: bool = True) -> tuple[Any, str | None]:
    """``module(x)`` in training mode (or eval mode) with the random generator at ``seed`` (dropout masks
    then coincide between two modules that draw the same random numbers in the same order)."""
    module.train(train)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return run(module, x)


def compare_built_block(
    report: Report, student: Any, reference: nn.Module, x: torch.Tensor, allowed: Iterable[Any] = ()
) -> None:
    """The library-use refusal (``allowed``: the parts the exercise gives), :func:`compare_block`
    (eval mode), then training mode."""
    if refuse_library(report, student, allowed=allowed, write_instead="build it from the pieces the exercise names"):
        return
    compare_block(report, student, reference, x)
    if report.failed:
        return
    compare_training_mode(report, student, reference, x)


def compare_training_mode(report: Report, student: nn.Module, reference: nn.Module, x: torch.Tensor) -> None:
    """With the weights already copied in: the same output in training mode (batch statistics,
    dropout with the same random numbers). Both modules are put back in eval mode afterwards."""
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    expected, _ = same_random_forward(reference, x)
    output, error = same_random_forward(student, x)
    reference.load_state_dict(state)
    reference.eval()
    student.eval()
    if error is not None:
        report.fail(f"in training mode (model.train()) your module raised {error}")
        return
    if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
        report.fail(f"in training mode your module returns {type(output).__name__}, the reference a tensor")
        return
    if not torch.allclose(output, expected, rtol=1e-4, atol=1e-5):
        report.fail(
            "in eval mode it matches, but in training mode (model.train()) it computes something else:"
            " look for a Dropout the reference does not have (or a missing one, or another rate) and"
            " for layers that behave differently in training"
        )
        return
    report.ok("in training mode too (batch statistics, dropout), it computes the reference's output")


def build(report: Report, student: Any, args: tuple[Any, ...], what: str) -> nn.Module | None:
    """``student(*args)`` for a class or builder function; a failure (with the reason) gives ``None``."""
    if isinstance(student, nn.Module):
        report.fail(f"pass the class (or a function) that builds the {what}, not a built module: the checker builds it")
        return None
    if not callable(student):
        report.fail(f"expected a class or function that builds the {what}, got {type(student).__name__}")
        return None
    shown = ", ".join(repr(a) for a in args)
    module, error = run(student, *args)
    if error is not None:
        report.fail(f"building it as {getattr(student, '__name__', 'it')}({shown}) raised {error}")
        return None
    if not isinstance(module, nn.Module):
        report.fail(f"{getattr(student, '__name__', 'it')}({shown}) should give a torch.nn.Module, got {type(module).__name__}")
        return None
    return module


def compare_modules(report: Report, student: nn.Module, reference: nn.Module, x: torch.Tensor, what: str) -> None:
    """Compare any two modules (outputs of any shape): output shape, parameter count, the
    reference's weights copied in definition order, then the output in eval and training mode."""
    student.eval()
    reference.eval()
    expected, _ = run(reference, x)
    inputs = Untouched(x)
    output, error = run(student, x)
    if error is not None:
        report.fail(f"calling your {what} on an input of shape {tuple(x.shape)} raised {error}")
        return
    if inputs.changed():
        report.fail(f"your {what} changed its input in place ({', '.join(inputs.changed())}): {IN_PLACE}")
        return
    if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
        got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        report.fail(f"on an input of shape {tuple(x.shape)} your {what} returns {got}, expected {tuple(expected.shape)}")
        return
    mine, theirs = (sum(p.numel() for p in m.parameters()) for m in (student, reference))
    if mine != theirs:
        report.fail(f"your {what} has {mine:,} parameters, the reference {theirs:,} ({mine - theirs:+,}): check the widths and bias=")
        return
    mismatch = copy_state_in_order(reference, student)
    if mismatch is not None:
        report.fail(f"the reference's weights cannot be copied into your {what} ({mismatch}): build the layers in the reference's order")
        return
    pool_problem = _pool_mismatch(student, reference)
    if pool_problem is not None:
        report.fail(pool_problem)
        return
    output, error = run(student, x)
    if error is not None or not torch.allclose(output, expected, rtol=1e-4, atol=1e-5):
        worst = "" if error is not None else f" (largest difference {(output - expected).abs().max().item():.3g})"
        report.fail(
            f"with the reference's weights copied in, your {what} computes something else{worst}: check the"
            " kernel sizes, strides, paddings, pooling type, activations and the order of the layers"
        )
        return
    report.ok(f"with the reference's weights, your {what} computes the reference's output {tuple(expected.shape)}")
    compare_training_mode(report, student, reference, x)


def _is_bool(value: Any) -> bool:
    """Python's bool or numpy's (``numpy.bool_``, called ``numpy.bool`` since numpy 2)."""
    kind = type(value)
    return isinstance(value, bool) or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))


def as_number(value: Any) -> float | None:
    """A real number (Python's, numpy's or a one-element tensor) as a float; ``None`` for anything
    else, booleans included, so that a correct answer computed with numpy is not refused."""
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 and not value.dtype == torch.bool else None
    if value is None or _is_bool(value) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def as_bool(value: Any) -> bool | None:
    """``True``/``False`` from a Python bool, a ``numpy.bool_`` or a one-element bool tensor; ``None``
    for anything else (a number is not an answer to a yes/no question)."""
    if isinstance(value, torch.Tensor):
        return bool(value.item()) if value.numel() == 1 and value.dtype == torch.bool else None
    if _is_bool(value):
        return bool(value)
    return None


def as_int(value: Any) -> int | None:
    """A whole number (Python's, numpy's ``int64`` and kin, or a one-element integer tensor) as an
    int; ``None`` for anything else, booleans and floats included."""
    if isinstance(value, torch.Tensor):
        whole = value.numel() == 1 and not value.is_floating_point() and not value.is_complex()
        value = value.item() if whole and value.dtype != torch.bool else None
    if value is None or _is_bool(value) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def gradient_problem(answer: torch.Tensor, expected: torch.Tensor, inputs: dict[str, torch.Tensor]) -> str | None:
    """Back-propagate the student's loss ``answer`` and the reference loss ``expected`` (same value)
    to ``inputs`` (``{name: leaf tensor that requires grad}``); the first difference in words, or
    ``None``. A loss rebuilt from a number (``torch.tensor(loss.item())``) has no gradient at all."""
    if not answer.requires_grad:
        return (
            "your loss has the right value but carries no gradient back to the logits, so training could not"
            " use it: compute it from the logits with torch operations, without .item(), .detach(), .data or"
            " torch.tensor(...) on the way"
        )
    tensors = list(inputs.values())
    wanted = torch.autograd.grad(expected, tensors, allow_unused=True, retain_graph=True)
    try:
        got = torch.autograd.grad(answer.sum(), tensors, allow_unused=True)
    except Exception as error:  # noqa: BLE001 - student code in the graph
        return f"back-propagating your loss raised {type(error).__name__}: {error}"
    for name, tensor, mine, theirs in zip(inputs, tensors, got, wanted):
        mine = torch.zeros_like(tensor) if mine is None else mine
        theirs = torch.zeros_like(tensor) if theirs is None else theirs
        if not torch.allclose(mine, theirs, rtol=1e-4, atol=1e-6):
            return (
                f"your loss has the right value but the wrong gradient with respect to {name} (largest difference"
                f" {(mine - theirs).abs().max().item():.3g}): part of it is cut off from the graph (.detach(),"
                " .item(), .data, a tensor rebuilt from numbers) or computed in a way that only matches in value"
            )
    return None
