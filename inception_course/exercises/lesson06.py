"""Lesson 6's checkers (activation scaling), in the lesson's order.

* ``check_zero_fractions``: ``zero_fractions(model, images)`` -> ``{block: fraction of exactly-zero
  outputs}`` (plus ``"features"``), measured with forward hooks in eval mode, against
  :func:`~inception_course.experiments.activation_statistics` on a residual, a concatenating and a
  "dead" network; the usual slips (counts, the non-zero share, training mode, hooks left) are named;
* ``check_residual_ratios``: ``residual_ratios(model, images)`` -> ``{residual block:
  ||scale * up(concat)|| / ||x||}`` at residual scales 1.0, 0.2 and one drawn for each call, on
  networks of depths that do not read the same backwards, handed over in training and in eval mode;
* ``check_died``: ``run_died(zero_fractions, threshold, tail)``, the silent-last-layer half of the
  "died" criterion, against :func:`~inception_course.experiments.scaling.last_layer_silent` on
  made-up runs of 0 to 20 values on each side of the threshold and of the tail's edge, tails of a
  fractional number of values (2.5, 4.9) and one run drawn for each call.

The measuring checkers leave the model's mode as they found it and require the same of the student's
function; no checker accepts a function that changes its images, weights or list in place.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import torch
from torch import nn

from ..experiments.activations import FEATURES, activation_statistics, build_network, measured_blocks
from ..experiments.scaling import TAIL, ZERO_THRESHOLD, last_layer_silent
from ..models.factory import create_model
from ..models.layers import ResidualInceptionBlock
from .checking.authorship import refuse_library
from .checking.compare import as_bool, as_number, run, shape_of
from .checking.result import Report, checker
from .checking.inputs import Untouched, fresh_generator

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
    images_kept, weights_kept = Untouched(images=images), Untouched(weights=model.state_dict())
    with torch.enable_grad():  # as in a notebook: gradients on unless the function turns them off
        output, error = _call(student_fn, model, images)
        leaked = not torch.is_grad_enabled()
    probe.handle.remove()
    if images_kept.refuse_changes(report, f"{label}: your function"):
        return
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
        if as_number(value) is None:
            report.fail(f"{label}, {name}: expected a number, got {shape_of(value)}")
            return
        value = as_number(value)
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
    if weights_kept.refuse_changes(report, f"{label}: your function"):
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
    fixed, (drawn, _) = torch.Generator().manual_seed(1), fresh_generator()
    scale = round(0.05 + 0.9 * float(torch.rand(1, generator=drawn)), 3)
    # (residual scale, depths, handed over in training mode): depths that do not read the same backwards
    cases = [(1.0, (2, 1, 1), True, fixed), (0.2, (1, 1, 2), False, fixed), (scale, (1, 2, 1), bool(scale > 0.5), drawn)]
    for scale, depths, training, generator in cases:
        images = torch.rand(2, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator) * 2 - 1
        model = build_network("inception_resnet_v1", width=0.125, residual_scale=scale, depths=depths)
        expected = _reference_ratios(model, images)
        in_train = {row.block: row.residual_ratio for row in activation_statistics(model, images) if row.kind == "residual"}
        model.train(training)
        images_kept, weights_kept = Untouched(images=images), Untouched(weights=model.state_dict())
        answer, error = run(student_fn, model, images)
        mode = "training" if training else "eval"
        label = f"Inception-ResNet-v1 with residual scale {scale} and depths {depths}, handed over in {mode} mode"
        if images_kept.refuse_changes(report, f"{label}: your function"):
            return
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
            if as_number(got) is None:
                report.fail(f"{label}, {name}: expected a number, got {shape_of(got)}")
                return
            got = as_number(got)
            if not math.isclose(float(got), want, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9):
                report.fail(f"{label}, " + _ratio_advice(name, float(got), want, scale, in_train[name]))
                return
        if model.training != training:
            report.fail(f"the model came in {mode} mode and left in {'training' if model.training else 'eval'} mode:"
                        " remember was_training = model.training and restore it with model.train(was_training)")
            return
        if any(module._forward_hooks or module._forward_pre_hooks for module in model.modules()):  # noqa: SLF001
            report.fail("hooks are still attached to the model: keep each handle and call handle.remove()")
            return
        if weights_kept.refuse_changes(report, f"{label}: your function"):
            return
        report.ok(f"{label}: all {len(expected)} ratios match (largest {max(expected.values()):.3f})")


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
        ("one record", [0.97], ZERO_THRESHOLD, TAIL),
        ("two records, only the last one dead", [0.2, 0.99], ZERO_THRESHOLD, 0.5),
        ("ten records, a tail of 2.5 values (round() gives 2)", [0.5] * 7 + [0.9, 0.97, 0.97], ZERO_THRESHOLD, TAIL),
        ("seven records, a tail of 4.9 values (round() gives 5)", [0.1, 0.1, 0.5, 1.0, 1.0, 0.92, 0.92], ZERO_THRESHOLD, 0.7),
        _drawn_died_case(),
    ]


def _drawn_died_case() -> tuple[str, list[float], float, float]:
    """1-20 values near a threshold, with a tail and threshold drawn for this call."""
    generator, seed = fresh_generator()
    count = int(torch.randint(1, 21, (1,), generator=generator))
    threshold, tail = (round(0.5 + 0.49 * float(v), 2) for v in torch.rand(2, generator=generator))
    tail = round(tail - 0.45, 2)
    values = [round(threshold - 0.1 + 0.11 * float(v), 3) for v in torch.rand(count, generator=generator)]
    return f"drawn with seed {seed}", values, threshold, tail


@checker("Exercise: did the run die?")
def check_died(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(zero_fractions, threshold, tail)`` -> True when the mean of the last
    ``round(len * tail)`` (at least one) values is at least ``threshold``, as the library's ``last_layer_silent``."""
    if not callable(student_fn):
        report.fail(f"expected a function run_died(zero_fractions, threshold, tail), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="write the criterion yourself"):
        return
    for label, zeros, threshold, tail in _died_cases():
        expected = last_layer_silent(zeros, threshold, tail)
        given = list(zeros)
        untouched = Untouched(zero_fractions=given)
        answer, error = run(student_fn, given, threshold, tail)
        case = f"{label} (threshold {threshold}, tail {tail}, {len(zeros)} values)"
        if untouched.refuse_changes(report, f"{case}: run_died"):
            return
        if error is not None:
            report.fail(f"{case}: run_died raised {error}" + (" - an empty list has no tail: return False" if not zeros else ""))
            return
        if as_bool(answer) is None and not (isinstance(answer, torch.Tensor) and answer.numel() == 1):
            report.fail(f"{case}: return True or False, got {answer!r}")
            return
        if bool(answer) != expected:
            exact = label == "tail mean exactly at the threshold"
            if not exact and threshold != ZERO_THRESHOLD and bool(answer) == last_layer_silent(zeros, ZERO_THRESHOLD, tail):
                report.fail(f"{case}: yours {bool(answer)}, the library's last_layer_silent() says {expected}: use the threshold argument, not a fixed {ZERO_THRESHOLD}")
                return
            if tail != TAIL and bool(answer) == last_layer_silent(zeros, threshold, TAIL):
                report.fail(f"{case}: yours {bool(answer)}, the library's last_layer_silent() says {expected}: use the tail argument, not a fixed quarter")
                return
            hint = {
                "dead early, then recovered": "look only at the last part of the run (its tail), not at every step",
                "a single dead step at the very end": "average the whole tail, not only its last value",
                "tail mean exactly at the threshold": "the run died when the mean is at least the threshold (>=)",
                "a longer tail (half) over the same run": "use the tail argument, not a fixed quarter",
                "a lower threshold (0.8)": "use the threshold argument, not a fixed 0.95",
                "three records (the tail rounds to one)": "the tail is round(len * tail) values, at least one",
                "ten records, a tail of 2.5 values (round() gives 2)": "the tail is round(len * tail) values (Python's round: 2.5 -> 2)",
                "seven records, a tail of 4.9 values (round() gives 5)": "the tail is round(len * tail) values, not int(len * tail)",
            }.get(label, "the mean of the last round(len * tail) values (at least one) against the threshold")
            report.fail(f"{case}: yours {bool(answer)}, the library's last_layer_silent() says {expected}: {hint}")
            return
        report.ok(f"{case}: {expected}")
