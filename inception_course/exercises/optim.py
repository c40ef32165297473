"""Lesson 7's exercise: one step of RMSProp the way TensorFlow (and so the paper) computed it.

The student writes ``rmsprop_tf_step(param, grad, ms, mom, lr, decay, eps, momentum)`` returning
the new ``(param, ms, mom)``. The checker runs it for four steps, with a learning rate that drops
half-way as the paper's schedule does, next to the library's
:class:`~inception_course.training.RMSpropTF` - for the paper's hyper-parameters and two other
sets, so that a step that ignores its arguments shows. It recognises the usual slips by computing
each of them: PyTorch's own RMSprop, epsilon outside the square root, the learning rate outside
the momentum buffer, the mean square updated after it is used, no momentum, a sign error, fixed
numbers in place of the arguments. Calling the library's ``RMSpropTF`` is refused.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..training.optim import RMSpropTF
from .authorship import refuse_library
from .compare import run, shape_of
from .result import Report, checker

PAPER = (0.9, 1.0, 0.9)  # (decay, eps, momentum)
HYPER_PARAMETERS = (PAPER, (0.8, 0.1, 0.5), (0.99, 1e-3, 0.7))
LEARNING_RATES = (0.045, 0.045, 0.045 * 0.94, 0.045 * 0.94)  # a drop after two steps, like the schedule
State = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _gradients() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    scales = (0.5, 3.0, 0.1, 2.0)  # small and large gradients: eps matters differently for each
    return [torch.randn(6, generator=generator, dtype=torch.float64) * s for s in scales]


def _reference(decay: float, eps: float, momentum: float) -> list[State]:
    """The library optimiser's ``(param, ms, mom)`` after each step."""
    param = nn.Parameter(torch.linspace(-1, 1, 6, dtype=torch.float64))
    optimizer = RMSpropTF([param], lr=LEARNING_RATES[0], decay=decay, eps=eps, momentum=momentum)
    states = []
    for lr, grad in zip(LEARNING_RATES, _gradients()):
        optimizer.param_groups[0]["lr"] = lr
        param.grad = grad.clone()
        optimizer.step()
        state = optimizer.state[param]
        states.append((param.detach().clone(), state["ms"].clone(), state["mom"].clone()))
    return states


def _slip(
    eps_outside: bool = False, lr_outside: bool = False, ms_late: bool = False, no_momentum: bool = False,
    ascent: bool = False, negative_mom: bool = False, fixed: tuple[float, float, float] | None = None,
) -> Callable[..., State]:
    """A wrong step function; each flag is one typical mistake (``fixed``: numbers in place of
    the ``decay, eps, momentum`` arguments)."""

    def step(param, grad, ms, mom, lr, decay, eps, momentum):  # noqa: ANN001, ANN202
        decay, eps, momentum = fixed or (decay, eps, momentum)
        new_ms = decay * ms + (1 - decay) * grad**2
        used = ms if ms_late else new_ms
        denom = used.sqrt() + eps if eps_outside else (used + eps).sqrt()
        update = grad / denom if lr_outside else lr * grad / denom
        new_mom = update if no_momentum else momentum * mom + update
        new_param = param - (lr * new_mom if lr_outside else new_mom)
        if ascent:
            new_param = 2 * param - new_param
        if negative_mom:
            new_mom = -new_mom
        return new_param, new_ms, new_mom

    return step


SLIPS = {
    "that is PyTorch's own RMSprop (torch.optim.RMSprop): it adds epsilon after the square root and"
    " applies the learning rate after the momentum; TensorFlow divides by sqrt(ms + eps) and keeps lr"
    " inside the buffer: mom = momentum * mom + lr * grad / sqrt(ms + eps), then param - mom":
        _slip(eps_outside=True, lr_outside=True),
    "epsilon is added outside the square root (PyTorch's placement); TensorFlow divides by sqrt(ms + eps)":
        _slip(eps_outside=True),
    "the learning rate multiplies the step after the momentum (PyTorch's way); TensorFlow keeps it inside:"
    " mom = momentum * mom + lr * grad / sqrt(ms + eps), then param - mom": _slip(lr_outside=True),
    "the mean square is updated after the step; update ms = decay * ms + (1 - decay) * grad**2 first,"
    " then divide by sqrt(ms + eps)": _slip(ms_late=True),
    "the momentum is missing: mom = momentum * mom + lr * grad / sqrt(ms + eps)": _slip(no_momentum=True),
    "sign error: the parameter moves uphill; subtract the momentum buffer (param - mom), since the"
    " buffer already points along the gradient": _slip(ascent=True),
    "sign error in the momentum buffer: it should add + lr * grad / sqrt(ms + eps) (pointing along the"
    " gradient) and the parameter then subtracts it": _slip(negative_mom=True),
    "your step ignores its decay, eps and momentum arguments and uses the paper's 0.9, 1.0 and 0.9:"
    " use the arguments, the checker tries other values too": _slip(fixed=PAPER),
}


def _start() -> State:
    """The state every trajectory starts from: TensorFlow's ``ms = 1`` and an empty momentum."""
    param = torch.linspace(-1, 1, 6, dtype=torch.float64)
    return param, torch.ones_like(param), torch.zeros_like(param)


def _trajectory(step_fn: Callable[..., object], decay: float, eps: float, momentum: float) -> tuple[list[State], str | None]:
    """Run ``step_fn`` from :func:`_start`; the states so far and an error, if any."""
    param, ms, mom = _start()
    states: list[State] = []
    for lr, grad in zip(LEARNING_RATES, _gradients()):
        inputs = (param.clone(), grad.clone(), ms.clone(), mom.clone())
        output, error = run(step_fn, *inputs, lr, decay, eps, momentum)
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
    return bool(torch.allclose(x, y, rtol=1e-6, atol=1e-9))


def _same(a: State, b: State) -> bool:
    return all(_close(x, y) for x, y in zip(a, b))


def _follows(states: list[State], slip: Callable[..., object], hyper: tuple[float, float, float]) -> bool:
    """True when ``states`` are exactly what the wrong step function ``slip`` produces."""
    return all(_same(a, b) for a, b in zip(states, _trajectory(slip, *hyper)[0]))


@checker("Exercise: one step of TensorFlow's RMSProp")
def check_rmsprop_tf(report: Report, student_fn: Callable[..., object]) -> None:
    """Check ``student_fn(param, grad, ms, mom, lr, decay, eps, momentum) -> (param, ms, mom)``."""
    if not callable(student_fn):
        signature = "rmsprop_tf_step(param, grad, ms, mom, lr, decay, eps, momentum)"
        report.fail(f"expected a function {signature}, got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course.training",),
                      write_instead="write the three update lines yourself"):
        return
    for hyper in HYPER_PARAMETERS:
        decay, eps, momentum = hyper
        setting = f"decay={decay:g}, eps={eps:g}, momentum={momentum:g}"
        states, error = _trajectory(student_fn, *hyper)
        for index, (mine, expected) in enumerate(zip(states, _reference(*hyper))):
            if _same(mine, expected):
                continue
            names = [name for name, x, y in zip(("param", "ms", "mom"), mine, expected) if not _close(x, y)]
            advice = next((words for words, slip in SLIPS.items() if _follows(states[: index + 1], slip, hyper)), None)
            before = states[index - 1] if index else _start()
            unchanged = [name for name, x, y in zip(("param", "ms", "mom"), mine, before) if name in names and _close(x, y)]
            if advice is None and unchanged:
                advice = (
                    f"{' and '.join(unchanged)} {'is' if len(unchanged) == 1 else 'are'} returned unchanged: update"
                    " ms = decay * ms + (1 - decay) * grad**2, then mom = momentum * mom + lr * grad / sqrt(ms + eps),"
                    " then param - mom"
                )
            report.fail(
                f"with {setting}, step {index + 1} (lr {LEARNING_RATES[index]:.4g}): "
                + (advice or f"{', '.join(names)} differ from TensorFlow's RMSProp; check each of the three updates")
            )
            return
        if error is not None:
            report.fail(f"with {setting}: {error}")
            return
        report.ok(f"{setting}: four steps (lr drop after two) match RMSpropTF in param, ms and mom")
