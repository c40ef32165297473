"""Lesson 6's further exercises: the residual-to-shortcut ratio of every residual block, and the
criterion that says whether a run "died".

* ``residual_ratios(model, images)`` returns ``{block name: ||scale * up(concat)|| / ||x||}`` for
  every residual block, in eval mode; the checker compares with the ``residual_ratio`` column of
  :func:`~inception_course.experiments.activation_statistics` on a narrow Inception-ResNet-v1 with
  residual scale 1.0 and 0.2 (a ratio that ignores the scale passes only one of them).
* ``run_died(zero_fractions, threshold, tail)`` judges a run from its exactly-zero fractions, step
  by step; the checker compares with :func:`~inception_course.experiments.died` on made-up runs
  that sit on each side of the threshold and of the tail's edge.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import torch

from ..experiments.activations import activation_statistics, build_network, measured_blocks
from ..experiments.runs import Run
from ..models.layers import ResidualInceptionBlock
from ..experiments.scaling import TAIL, ZERO_THRESHOLD, died
from ..training.history import History
from .authorship import refuse_library
from .compare import run, shape_of
from .result import Report, checker

IMAGE_SIZE = 75
RELATIVE_TOLERANCE = 1e-4


def _reference_ratios(model: torch.nn.Module, images: torch.Tensor) -> dict[str, float]:
    rows = activation_statistics(model, images, train_mode=False)
    return {row.block: row.residual_ratio for row in rows if row.kind == "residual"}


def _ratio_advice(name: str, got: float, expected: float, scale: float, in_train: float) -> str:
    def near(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-3)

    if scale != 1 and near(got, expected / scale):
        return f"{name}: {got:.4g} is the ratio without the scale; the block adds scale * up(...) ({scale}), measure that"
    if expected and near(got, 1 / expected):
        return f"{name}: {got:.4g} is upside down: divide the residual's norm by the shortcut's (the block's input)"
    if near(got, expected**2):
        return f"{name}: {got:.4g} is the ratio of squared norms; use the norms themselves (torch.linalg.vector_norm)"
    if near(got, in_train):
        return f"{name}: {got:.4g} is what training mode gives; measure in eval mode (model.eval())"
    return f"{name}: yours {got:.4g}, expected {expected:.4g} - the norm of scale * up(concat(branches)) over the norm of the input x"


@checker("Exercise: residual-to-shortcut ratios")
def check_residual_ratios(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(model, images)`` -> ``{residual block name: ||scale * residual|| / ||input||}``."""
    if not callable(student_fn):
        report.fail(f"expected a function residual_ratios(model, images), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[measured_blocks, ResidualInceptionBlock],
                      write_instead="measure with forward hooks yourself"):
        return
    images = torch.rand(2, 3, IMAGE_SIZE, IMAGE_SIZE, generator=torch.Generator().manual_seed(1)) * 2 - 1
    for scale in (1.0, 0.2):
        model = build_network("inception_resnet_v1", width=0.125, residual_scale=scale, depths=(1, 2, 1))
        expected = _reference_ratios(model, images)
        in_train = {row.block: row.residual_ratio for row in activation_statistics(model, images) if row.kind == "residual"}
        model.train()
        answer, error = run(student_fn, model, images.clone())
        label = f"Inception-ResNet-v1 with residual scale {scale}"
        if error is not None:
            report.fail(f"{label}: residual_ratios raised {error}")
            return
        if not isinstance(answer, Mapping):
            report.fail(f"return a dict {{block name: ratio}}; got {shape_of(answer)}")
            return
        missing = [name for name in expected if name not in answer]
        extra = sorted(set(answer) - set(expected))
        if missing or extra:
            report.fail(
                f"{label}: " + (f"no value for {', '.join(missing[:3])}" if missing else f"unexpected keys {extra[:3]}")
                + "; one entry per residual block (ResidualInceptionBlock) of measured_blocks(model), under its name"
            )
            return
        for name, want in expected.items():
            got = answer[name]
            got = got.item() if isinstance(got, torch.Tensor) and got.numel() == 1 else got
            if not isinstance(got, (int, float)):
                report.fail(f"{label}, {name}: expected a number, got {shape_of(got)}")
                return
            if not math.isclose(float(got), want, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9):
                report.fail(f"{label}, " + _ratio_advice(name, float(got), want, scale, in_train[name]))
                return
        if not model.training:
            report.fail("the model came in training mode and left in eval mode: restore it with model.train(was_training)")
            return
        if any(module._forward_hooks or module._forward_pre_hooks for module in model.modules()):  # noqa: SLF001
            report.fail("hooks are still attached to the model: keep each handle and call handle.remove()")
            return
        report.ok(f"{label}: all {len(expected)} ratios match (largest {max(expected.values()):.3f})")


def _run_of(zero_fractions: list[float]) -> Run:
    """A run in memory whose train records carry ``zero_fractions``, one per step."""
    records = [{"kind": "train", "step": step, "zero_fraction": z} for step, z in enumerate(zero_fractions, 1)]
    return Run(Path("/nonexistent-run-for-exercise"), {}, History(records))


def _died_cases() -> list[tuple[str, list[float], float, float]]:
    flat_dead = [0.2] * 6 + [0.99] * 2
    return [
        ("dead at the end", flat_dead, ZERO_THRESHOLD, TAIL),
        ("alive throughout", [0.3, 0.4, 0.5, 0.45, 0.5, 0.55, 0.5, 0.5], ZERO_THRESHOLD, TAIL),
        ("a lower threshold (0.8)", [0.5] * 6 + [0.85] * 2, 0.8, TAIL),
        ("tail mean exactly at the threshold", [0.1] * 9 + [0.5, 1.0, 0.75], 0.75, TAIL),
        ("dead early, then recovered", [0.99] * 8 + [0.5] * 4, ZERO_THRESHOLD, TAIL),
        ("a single dead step at the very end", [0.5] * 11 + [1.0], ZERO_THRESHOLD, TAIL),
        ("a longer tail (half) over the same run", flat_dead + [0.99] * 2, ZERO_THRESHOLD, 0.5),
        ("three records (the tail rounds to one)", [0.2, 0.99, 0.5], ZERO_THRESHOLD, TAIL),
        ("no measurements at all", [], ZERO_THRESHOLD, TAIL),
    ]


@checker("Exercise: did the run die?")
def check_died(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(zero_fractions, threshold, tail)`` -> True when the mean of the last
    ``round(len * tail)`` (at least one) values is at least ``threshold``, as the library's ``died``."""
    if not callable(student_fn):
        report.fail(f"expected a function run_died(zero_fractions, threshold, tail), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="write the criterion yourself"):
        return
    for label, zeros, threshold, tail in _died_cases():
        expected = died(_run_of(zeros), threshold, tail).died
        answer, error = run(student_fn, list(zeros), threshold, tail)
        case = f"{label} (threshold {threshold}, tail {tail}, {len(zeros)} values)"
        if error is not None:
            report.fail(f"{case}: run_died raised {error}" + (" - an empty list has no tail: return False" if not zeros else ""))
            return
        if not isinstance(answer, (bool, torch.Tensor)) or (isinstance(answer, torch.Tensor) and answer.numel() != 1):
            report.fail(f"{case}: return True or False, got {answer!r}")
            return
        if bool(answer) != expected:
            exact = label == "tail mean exactly at the threshold"
            if not exact and threshold != ZERO_THRESHOLD and bool(answer) == died(_run_of(zeros), ZERO_THRESHOLD, tail).died:
                report.fail(f"{case}: yours {bool(answer)}, the library's died() says {expected}: use the threshold argument, not a fixed {ZERO_THRESHOLD}")
                return
            if tail != TAIL and bool(answer) == died(_run_of(zeros), threshold, TAIL).died:
                report.fail(f"{case}: yours {bool(answer)}, the library's died() says {expected}: use the tail argument, not a fixed quarter")
                return
            hint = {
                "dead early, then recovered": "look only at the last part of the run (its tail), not at every step",
                "a single dead step at the very end": "average the whole tail, not only its last value",
                "tail mean exactly at the threshold": "the run died when the mean is at least the threshold (>=)",
                "a longer tail (half) over the same run": "use the tail argument, not a fixed quarter",
                "a lower threshold (0.8)": "use the threshold argument, not a fixed 0.95",
                "three records (the tail rounds to one)": "the tail is round(len * tail) values, at least one",
            }.get(label, "the mean of the last round(len * tail) values (at least one) against the threshold")
            report.fail(f"{case}: yours {bool(answer)}, the library's died() says {expected}: {hint}")
            return
        report.ok(f"{case}: {expected}")
