"""Lesson 7's exercise: one step of RMSProp the way TensorFlow (and so the paper) computed it.

The student writes ``rmsprop_tf_step(param, grad, ms, mom, lr, decay, eps, momentum)`` returning
the new ``(param, ms, mom)``. The checker runs it for a few steps, with a learning rate that drops
between steps as the paper's schedule does, next to the library's
:class:`~inception_course.training.RMSpropTF`, and recognises the usual slips by computing each of
them: epsilon outside the square root (PyTorch's placement), the learning rate outside the momentum
buffer, the mean square updated after it is used, no momentum.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..training.optim import RMSpropTF
from .compare import run, shape_of
from .result import CheckResult, Report

DECAY, EPS, MOMENTUM = 0.9, 1.0, 0.9
LEARNING_RATES = (0.045, 0.045, 0.045 * 0.94, 0.045 * 0.94)  # a drop after two steps, like the schedule
State = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _gradients() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    scales = (0.5, 3.0, 0.1, 2.0)  # small and large gradients: eps matters differently for each
    return [torch.randn(6, generator=generator, dtype=torch.float64) * s for s in scales]


def _reference() -> list[State]:
    """The library optimiser's ``(param, ms, mom)`` after each step."""
    param = nn.Parameter(torch.linspace(-1, 1, 6, dtype=torch.float64))
    optimizer = RMSpropTF([param], lr=LEARNING_RATES[0], decay=DECAY, eps=EPS, momentum=MOMENTUM)
    states = []
    for lr, grad in zip(LEARNING_RATES, _gradients()):
        optimizer.param_groups[0]["lr"] = lr
        param.grad = grad.clone()
        optimizer.step()
        state = optimizer.state[param]
        states.append((param.detach().clone(), state["ms"].clone(), state["mom"].clone()))
    return states


def _slip(eps_outside: bool = False, lr_outside: bool = False, ms_late: bool = False, no_momentum: bool = False):
    """A wrong step function; each flag is one typical mistake."""

    def step(param, grad, ms, mom, lr, decay, eps, momentum):
        new_ms = decay * ms + (1 - decay) * grad**2
        used = ms if ms_late else new_ms
        denom = used.sqrt() + eps if eps_outside else (used + eps).sqrt()
        update = grad / denom if lr_outside else lr * grad / denom
        new_mom = update if no_momentum else momentum * mom + update
        new_param = param - (lr * new_mom if lr_outside else new_mom)
        return new_param, new_ms, new_mom

    return step


SLIPS = {
    "epsilon is added outside the square root (PyTorch's placement); TensorFlow divides by sqrt(ms + eps)":
        _slip(eps_outside=True),
    "the learning rate multiplies the step after the momentum (PyTorch's way); TensorFlow keeps it inside:"
    " mom = momentum * mom + lr * grad / sqrt(ms + eps), then param - mom": _slip(lr_outside=True),
    "the mean square is updated after the step; update ms = decay * ms + (1 - decay) * grad**2 first,"
    " then divide by sqrt(ms + eps)": _slip(ms_late=True),
    "the momentum is missing: mom = momentum * mom + lr * grad / sqrt(ms + eps)": _slip(no_momentum=True),
}


def _trajectory(step_fn: Callable[..., object]) -> tuple[list[State], str | None]:
    """Run ``step_fn`` from ``ms = 1``, ``mom = 0``; the states so far and an error, if any."""
    param = torch.linspace(-1, 1, 6, dtype=torch.float64)
    ms, mom = torch.ones_like(param), torch.zeros_like(param)
    states: list[State] = []
    for lr, grad in zip(LEARNING_RATES, _gradients()):
        inputs = (param.clone(), grad.clone(), ms.clone(), mom.clone())
        output, error = run(step_fn, *inputs, lr, DECAY, EPS, MOMENTUM)
        if error is not None:
            return states, f"rmsprop_tf_step raised {error}"
        three_tensors = isinstance(output, (tuple, list)) and len(output) == 3
        if not (three_tensors and all(isinstance(t, torch.Tensor) for t in output)):
            return states, f"return the three new tensors (param, ms, mom); got {shape_of(output)}"
        if any(t.shape != param.shape for t in output):
            return states, f"each returned tensor should have the parameter's shape {tuple(param.shape)}"
        param, ms, mom = (t.detach().to(torch.float64) for t in output)
        states.append((param, ms, mom))
    return states, None


def _close(x: torch.Tensor, y: torch.Tensor) -> bool:
    return torch.allclose(x, y, rtol=1e-6, atol=1e-9)


def _same(a: State, b: State) -> bool:
    return all(_close(x, y) for x, y in zip(a, b))


def _follows(states: list[State], slip: Callable[..., object]) -> bool:
    """True when ``states`` are exactly what the wrong step function ``slip`` produces."""
    return all(_same(a, b) for a, b in zip(states, _trajectory(slip)[0]))


def check_rmsprop_tf(student_fn: Callable[..., object], verbose: bool = True) -> CheckResult:
    """Check ``student_fn(param, grad, ms, mom, lr, decay, eps, momentum) -> (param, ms, mom)``."""
    report = Report("Exercise: one step of TensorFlow's RMSProp")
    if not callable(student_fn):
        signature = "rmsprop_tf_step(param, grad, ms, mom, lr, decay, eps, momentum)"
        report.fail(f"expected a function {signature}, got {type(student_fn).__name__}")
        return report.finish(verbose)
    states, error = _trajectory(student_fn)
    reference = _reference()
    for index, (mine, expected) in enumerate(zip(states, reference)):
        if _same(mine, expected):
            report.ok(f"step {index + 1} (lr {LEARNING_RATES[index]:.4g}): param, ms and mom match RMSpropTF")
            continue
        names = [name for name, x, y in zip(("param", "ms", "mom"), mine, expected) if not _close(x, y)]
        advice = next((words for words, slip in SLIPS.items() if _follows(states[: index + 1], slip)), None)
        report.fail(
            advice
            or f"step {index + 1}: {', '.join(names)} differ from TensorFlow's RMSProp;"
            " check the order of the three updates"
        )
        return report.finish(verbose)
    if error is not None:
        report.fail(error)
    return report.finish(verbose)
