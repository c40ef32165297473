"""Shared pieces of the checkers added for the 30 self-checking exercises.

* :func:`build` calls the class or builder function a student hands in, with the reason when it fails;
* :func:`compare_modules` compares any two modules (outputs of any shape) step by step: output
  shape, parameters, the reference's weights copied in, pooling layers, outputs in eval and in
  training mode;
* :func:`compare_built_block` runs :func:`~.compare.compare_block` and then compares the two modules
  in training mode too (with the same random numbers), which finds an extra or missing dropout and
  batch norm on batch statistics.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from .authorship import refuse_library
from .compare import _pool_mismatch, compare_block, copy_state_in_order, run
from .result import Report


def same_random_forward(module: nn.Module, x: torch.Tensor, seed: int = 0) -> tuple[Any, str | None]:
    """``module(x)`` in training mode with the random generator at ``seed`` (dropout masks then
    coincide between two modules that draw the same random numbers in the same order)."""
    module.train()
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
    output, error = run(student, x)
    if error is not None:
        report.fail(f"calling your {what} on an input of shape {tuple(x.shape)} raised {error}")
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
