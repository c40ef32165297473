"""Lesson 6's exercise: measure, block by block, how much of a network's activity is exactly zero.

The paper's wide Inception-ResNets "died": the layer before the average pool output only zeros.
The student writes ``zero_fractions(model, images)`` with forward hooks and returns
``{block name: fraction of exactly-zero output values}`` for every Inception block (as listed by
:func:`inception_course.experiments.activations.measured_blocks`) plus ``"features"`` for the last
feature map (``model.forward_features``), measured in eval mode. The checker compares with the
library's :func:`~inception_course.experiments.activation_statistics` on three small networks - a
residual one, a concatenating one and a residual one whose last block has died - and recognises
the usual slips (counts instead of fractions, the non-zero share, training mode, hooks left behind).
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch import nn

from ..experiments.activations import FEATURES, activation_statistics, measured_blocks
from ..models.registry import create_model
from .compare import run, shape_of
from .result import CheckResult, Report

TOLERANCE = 1e-6
IMAGE_SIZE = 75  # every Inception network's smallest input


def _networks() -> list[tuple[str, nn.Module]]:
    """Seeded, narrow networks: residual, concatenating, and residual with a dead last block."""
    torch.manual_seed(0)
    residual = create_model("inception_resnet_v1", num_classes=10, width=0.125, depths=(1, 1, 1))
    torch.manual_seed(0)
    plain = create_model("inception_v4", num_classes=10, width=0.125, depths=(1, 1, 1))
    torch.manual_seed(0)
    dead = create_model("inception_resnet_v1", num_classes=10, width=0.125, depths=(1, 1, 1))
    with torch.no_grad():  # a huge negative bias before the last ReLU: every feature is exactly 0
        dead.blocks_c[-1].up.bias.fill_(-1e4)
    return [
        ("Inception-ResNet-v1", residual),
        ("Inception-v4", plain),
        ("Inception-ResNet-v1 whose last block died", dead),
    ]


def _expected(model: nn.Module, images: torch.Tensor, train_mode: bool) -> dict[str, float]:
    rows = activation_statistics(model, images, train_mode=train_mode)
    return {row.block: row.zero_fraction for row in rows}


def _hooks_left(model: nn.Module) -> list[str]:
    return [name or "the model" for name, module in model.named_modules() if module._forward_hooks]  # noqa: SLF001


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE


def _advice(name: str, got: float, expected: float, in_train_mode: float) -> str:
    """Plain words for a wrong value of block ``name``."""
    if got > 1:
        return f"{name}: {got:g} is more than 1 - return the fraction (zeros / number of values), not the count"
    if _close(got, 1 - expected) and not _close(expected, 0.5):
        return f"{name}: {got:.4f} is the share of non-zero values; count the values equal to 0"
    if _close(got, in_train_mode) and not _close(expected, in_train_mode):
        return (
            f"{name}: {got:.4f} is what the network gives in training mode (batch norm on batch statistics);"
            " call model.eval() before the forward pass"
        )
    return f"{name}: yours {got:.4f}, expected {expected:.4f} - the fraction of output values exactly equal to 0"


def _check_network(report: Report, student_fn: Callable[..., object], label: str, model: nn.Module) -> None:
    images = torch.rand(2, 3, IMAGE_SIZE, IMAGE_SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1
    expected = _expected(model, images, train_mode=False)
    in_train_mode = _expected(model, images, train_mode=True)
    model.train()
    output, error = run(student_fn, model, images.clone())
    if error is not None:
        report.fail(f"zero_fractions on {label} raised {error}")
        return
    if not isinstance(output, Mapping):
        report.fail(f"return a dict {{block name: fraction}}; got {shape_of(output)}")
        return
    names = [name for name, _ in measured_blocks(model)] + [FEATURES]
    missing = [name for name in names if name not in output]
    if missing:
        report.fail(
            f"{label}: no value for {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}; hook every block"
            f" of measured_blocks(model) and store the last feature map as {FEATURES!r}"
        )
        return
    extra = sorted(set(output) - set(names))
    if extra:
        report.fail(f"{label}: unexpected keys {extra[:4]}; use the names from measured_blocks(model) and {FEATURES!r}")
        return
    for name in names:
        value = output[name]
        value = value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value
        if not isinstance(value, (int, float)):
            report.fail(f"{name}: expected a number, got {shape_of(value)}")
            return
        if not _close(float(value), expected[name]):
            report.fail(f"{label}, " + _advice(name, float(value), expected[name], in_train_mode[name]))
            return
    left = _hooks_left(model)
    if left:
        report.fail(f"hooks are still attached to {', '.join(left[:3])}: keep each handle and call handle.remove()")
        return
    if not model.training:
        report.fail("the model came in training mode and left in eval mode: restore it with model.train(was_training)")
        return
    report.ok(f"{label}: all {len(names)} zero fractions match (features: {expected[FEATURES]:.1%} zeros)")


def check_zero_fractions(student_fn: Callable[..., object], verbose: bool = True) -> CheckResult:
    """Check ``student_fn(model, images)`` -> ``{block name: exactly-zero fraction, ..., "features": ...}``."""
    report = Report("Exercise: zero fractions block by block")
    if not callable(student_fn):
        report.fail(f"expected a function zero_fractions(model, images), got {type(student_fn).__name__}")
        return report.finish(verbose)
    for label, model in _networks():
        _check_network(report, student_fn, label, model)
        if report.failed:
            break
    return report.finish(verbose)
