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
from .authorship import refuse_library
from .compare import shape_of
from .result import Report, checker

TOLERANCE = 1e-6
IMAGE_SIZE = 75  # every Inception network's smallest input


def _networks() -> list[tuple[str, nn.Module, bool]]:
    """Seeded, narrow networks - residual, concatenating, residual with a dead last block - each
    with the mode it is handed over in (True: training mode)."""
    torch.manual_seed(0)
    residual = create_model("inception_resnet_v1", num_classes=10, width=0.125, depths=(1, 1, 1))
    torch.manual_seed(0)
    plain = create_model("inception_v4", num_classes=10, width=0.125, depths=(1, 1, 1))
    torch.manual_seed(0)
    dead = create_model("inception_resnet_v1", num_classes=10, width=0.125, depths=(1, 1, 1))
    with torch.no_grad():  # a huge negative bias before the last ReLU: every feature is exactly 0
        dead.blocks_c[-1].up.bias.fill_(-1e4)
    return [
        ("Inception-ResNet-v1", residual, True),
        ("Inception-v4", plain, False),
        ("Inception-ResNet-v1 whose last block died", dead, True),
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
    if got > 1 and abs(got - 100 * expected) <= 100 * TOLERANCE:
        return (
            f"{name}: {got:g} is a percentage ({expected:.4f} x 100); return the fraction in [0, 1],"
            " i.e. do not multiply by 100"
        )
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


def _call(student_fn: Callable[..., object], *args: object) -> tuple[object, str | None]:
    """Like :func:`compare.run`, but with gradients as the caller left them: the exercise is to
    switch them off, so the checker must not do it for the student."""
    try:
        return student_fn(*args), None
    except Exception as error:  # noqa: BLE001 - any error in student code becomes a message
        return None, f"{type(error).__name__}: {error}"


class _Probe:
    """A forward pre-hook on the first measured block: was the forward run in eval mode, without
    gradients? Removed before the student's hooks are counted."""

    def __init__(self, block: nn.Module) -> None:
        self.calls: list[tuple[bool, bool]] = []
        self.handle = block.register_forward_pre_hook(self)

    def __call__(self, module: nn.Module, inputs: object) -> None:
        self.calls.append((module.training, torch.is_grad_enabled()))


def _check_network(
    report: Report, student_fn: Callable[..., object], label: str, model: nn.Module, training: bool
) -> None:
    images = torch.rand(2, 3, IMAGE_SIZE, IMAGE_SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1
    expected = _expected(model, images, train_mode=False)
    in_train_mode = _expected(model, images, train_mode=True)
    model.train(training)
    probe = _Probe(measured_blocks(model)[0][1])
    with torch.enable_grad():  # as in a notebook: gradients on unless the function turns them off
        output, error = _call(student_fn, model, images.clone())
        leaked = not torch.is_grad_enabled()
    probe.handle.remove()
    mode = "training" if training else "eval"
    if leaked:
        report.fail(
            "after your function, gradients are switched off for the whole notebook: use"
            " `with torch.no_grad():` around the forward pass instead of torch.set_grad_enabled(False)"
        )
        return
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
    extra = sorted(map(str, set(output) - set(names)))
    if extra:
        report.fail(f"{label}: unexpected keys {extra[:4]}; use the names from measured_blocks(model) and {FEATURES!r}")
        return
    for name in names:
        value = output[name]
        value = value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            report.fail(f"{label}, {name}: expected a number, got {shape_of(value)}")
            return
        if not _close(float(value), expected[name]):
            report.fail(f"{label}, " + _advice(name, float(value), expected[name], in_train_mode[name]))
            return
    if not probe.calls:
        report.fail(f"{label}: your function never ran the network's blocks; call model.forward_features(images)")
        return
    if any(was_training for was_training, _ in probe.calls):
        report.fail(f"{label}: the forward pass ran in training mode; call model.eval() before it")
        return
    if any(grad for _, grad in probe.calls):
        report.fail(
            f"{label}: the forward pass ran with gradients on, which keeps every activation for a backward"
            " pass that never comes; wrap it in `with torch.no_grad():`"
        )
        return
    left = _hooks_left(model)
    if left:
        report.fail(f"hooks are still attached to {', '.join(left[:3])}: keep each handle and call handle.remove()")
        return
    if model.training != training:
        report.fail(
            f"the model came in {mode} mode and left in {'training' if model.training else 'eval'} mode:"
            " remember was_training = model.training and restore it with model.train(was_training)"
        )
        return
    report.ok(f"{label}, handed over in {mode} mode: all {len(names)} zero fractions match"
              f" (features: {expected[FEATURES]:.1%} zeros), mode restored, no gradients, hooks removed")


@checker("Exercise: zero fractions block by block")
def check_zero_fractions(report: Report, student_fn: Callable[..., object]) -> None:
    """Check ``student_fn(model, images)`` -> ``{block name: exactly-zero fraction, ..., "features": ...}``."""
    if not callable(student_fn):
        report.fail(f"expected a function zero_fractions(model, images), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course.experiments", "inception_course.widgets"),
                      allowed=(measured_blocks,), write_instead="use forward hooks on the blocks of measured_blocks(model)"):
        return
    for label, model, training in _networks():
        _check_network(report, student_fn, label, model, training)
        if report.failed:
            return
