"""Lesson 7's checkers (the training recipe), in the lesson's order.

* ``check_rmsprop_tf``: ``rmsprop_tf_step(param, grad, ms, mom, lr, decay, eps, momentum)`` -> the
  new ``(param, ms, mom)``, four steps next to :class:`~inception_course.training.RMSpropTF` for
  three hyper-parameter sets and one drawn for each call, on parameters of several shapes;
  PyTorch's RMSprop, epsilon outside the root and the other usual slips are named;
* ``check_lr_schedule``: ``learning_rate(step, steps_per_epoch, base_lr, warmup_epochs)``, 0.94
  every two epochs with a linear warm-up, against
  :class:`~inception_course.training.schedule.PaperLRFactor`, for several steps per epoch and
  warm-ups of fractional length (one case drawn for each call);
* ``check_weight_average``: ``update_average(average, weights, decay, num_updates)`` against
  :class:`~inception_course.training.ema.ModelEMA`, for two decays and a decay and width drawn;
* ``check_train_step``: ``train_step(model, images, labels, optimizer, ema, aux_weights, clip_norm,
  smoothing)`` -> the loss, compared step by step with the library's pieces in the trainer's order,
  for several batch and image sizes and settings (one drawn). The backward pass is checked through
  the weights after the step, which only the right loss's gradients give.

The tensors, dicts and batches handed to the student's function must come back unchanged: the
step and the average return new values.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Callable, Mapping

import torch
from torch import nn

from ..training.ema import ModelEMA
from ..training.optim import RMSpropTF
from ..training.schedule import PaperLRFactor
from ..training.trainer import Trainer
from .checking.authorship import refuse_library
from .checking.compare import as_number, run, shape_of
from .checking.result import Report, checker
from .checking.inputs import Untouched, fresh_generator

PAPER = (0.9, 1.0, 0.9)  # (decay, eps, momentum)

HYPER_PARAMETERS = (PAPER, (0.8, 0.1, 0.5), (0.99, 1e-3, 0.7))  # a fourth set is drawn for each call

SHAPES = ((6,), (2, 3), (3, 1, 2))  # a bias, a matrix, a conv-like tensor: nothing may assume one shape

LEARNING_RATES = (0.045, 0.045, 0.045 * 0.94, 0.045 * 0.94)  # a drop after two steps, like the schedule

State = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
Shape = tuple[int, ...]


def _drawn_hyper_parameters() -> tuple[float, float, float]:
    """A ``(decay, eps, momentum)`` drawn for this call, rounded to three digits for the messages."""
    generator, _ = fresh_generator()
    decay, log_eps, momentum = torch.rand(3, generator=generator, dtype=torch.float64).tolist()
    return round(0.5 + 0.49 * decay, 3), float(f"{10 ** (-4 * log_eps):.3g}"), round(0.95 * momentum, 3)


def _gradients(shape: Shape) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    scales = (0.5, 3.0, 0.1, 2.0)  # small and large gradients: eps matters differently for each
    return [torch.randn(shape, generator=generator, dtype=torch.float64) * s for s in scales]


def _reference(decay: float, eps: float, momentum: float, shape: Shape = SHAPES[0]) -> list[State]:
    """The library optimiser's ``(param, ms, mom)`` after each step."""
    param = nn.Parameter(_start(shape)[0])
    optimizer = RMSpropTF([param], lr=LEARNING_RATES[0], decay=decay, eps=eps, momentum=momentum)
    states = []
    for lr, grad in zip(LEARNING_RATES, _gradients(shape)):
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


def _start(shape: Shape = SHAPES[0]) -> State:
    """The state every trajectory starts from: TensorFlow's ``ms = 1`` and an empty momentum."""
    param = torch.linspace(-1, 1, math.prod(shape), dtype=torch.float64).reshape(shape)
    return param, torch.ones_like(param), torch.zeros_like(param)


def _rmsprop_trajectory(
    step_fn: Callable[..., object], decay: float, eps: float, momentum: float, shape: Shape = SHAPES[0]
) -> tuple[list[State], str | None]:
    """Run ``step_fn`` from :func:`_start`; the states so far and an error, if any (a step that
    changes the tensors it is given, rather than returning new ones, is an error)."""
    param, ms, mom = _start(shape)
    states: list[State] = []
    for lr, grad in zip(LEARNING_RATES, _gradients(shape)):
        inputs = (param.clone(), grad.clone(), ms.clone(), mom.clone())
        untouched = Untouched(**dict(zip(("param", "grad", "ms", "mom"), inputs)))
        output, error = run(step_fn, *inputs, lr, decay, eps, momentum)
        if error is not None:
            return states, f"rmsprop_tf_step raised {error}"
        if untouched.changed():
            return states, (f"rmsprop_tf_step changed {', '.join(untouched.changed())} in place: return new tensors"
                            " (ms = decay * ms + ..., not ms.mul_(decay)) and leave the ones it is given as they are")
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


def _follows(states: list[State], slip: Callable[..., object], hyper: tuple[float, float, float], shape: Shape) -> bool:
    """True when ``states`` are exactly what the wrong step function ``slip`` produces."""
    return all(_same(a, b) for a, b in zip(states, _rmsprop_trajectory(slip, *hyper, shape)[0]))


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
    for hyper, shape in zip((*HYPER_PARAMETERS, _drawn_hyper_parameters()), (*SHAPES, SHAPES[1])):
        decay, eps, momentum = hyper
        setting = f"decay={decay:g}, eps={eps:g}, momentum={momentum:g} (a parameter of shape {shape})"
        states, error = _rmsprop_trajectory(student_fn, *hyper, shape)
        for index, (mine, expected) in enumerate(zip(states, _reference(*hyper, shape))):
            if _same(mine, expected):
                continue
            names = [name for name, x, y in zip(("param", "ms", "mom"), mine, expected) if not _close(x, y)]
            advice = next((words for words, slip in SLIPS.items() if _follows(states[: index + 1], slip, hyper, shape)), None)
            before = states[index - 1] if index else _start(shape)
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


#: (steps_per_epoch, base_lr, warmup_epochs): several batch sizes (steps per epoch), warm-ups of
#: none, whole and fractional steps (2.5 steps: round() gives 2, rounding half up 3; 4.9 steps:
#: int() gives 4, round() 5); a case drawn for each call follows.
SCHEDULE_CASES = (
    (100, 0.045, 0.0), (7, 0.045, 0.0), (50, 0.09, 1.5), (10, 0.045, 0.25), (7, 0.03, 0.7),
)


def _schedule_cases() -> list[tuple[int, float, float]]:
    generator, _ = fresh_generator()
    spe = int(torch.randint(3, 41, (1,), generator=generator))
    base, warmup = (round(float(v), 4) for v in torch.rand(2, generator=generator, dtype=torch.float64) * torch.tensor([0.1, 2.0]))
    return [*SCHEDULE_CASES, (spe, base + 0.001, warmup)]


def reference_lr(step: int, steps_per_epoch: int, base_lr: float, warmup_epochs: float) -> float:
    return base_lr * PaperLRFactor(steps_per_epoch, warmup_epochs=warmup_epochs)(step)


def _schedule_slip(step: int, spe: int, base: float, warmup: float, got: float) -> str | None:
    epoch = step / spe
    ramp = (step + 1) / round(warmup * spe) if step < round(warmup * spe) else 1.0
    slips = {
        "the epoch is counted from step + 1; with 0-based steps, epoch = step / steps_per_epoch":
            base * 0.94 ** math.floor((step + 1) / spe / 2) * ramp,
        "the rate drops every epoch; the paper decays it every two epochs": base * 0.94 ** math.floor(epoch) * ramp,
        "the decay is smooth; the paper's is a staircase: 0.94 ** floor(epoch / 2)": base * 0.94 ** (epoch / 2) * ramp,
        "the warm-up is missing: multiply by (step + 1) / warm-up steps during the first warmup_epochs":
            base * 0.94 ** math.floor(epoch / 2),
        "the warm-up ramp is one step late: use (step + 1) / warm-up steps, so the first step is not 0":
            base * 0.94 ** math.floor(epoch / 2) * (step / round(warmup * spe) if step < round(warmup * spe) else 1.0),
    }
    return next((words for words, value in slips.items() if math.isclose(value, got, rel_tol=1e-9)), None)


@checker("Exercise: the learning-rate schedule")
def check_lr_schedule(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(step, steps_per_epoch, base_lr, warmup_epochs)`` -> the learning rate."""
    if not callable(student_fn):
        report.fail(f"expected a function learning_rate(step, steps_per_epoch, base_lr, warmup_epochs), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="write the formula yourself"):
        return
    for spe, base, warmup in _schedule_cases():
        warm = round(warmup * spe)
        steps = sorted({0, 1, spe - 1, spe, 2 * spe - 1, 2 * spe, 2 * spe + 1, 5 * spe, 9 * spe + 3, max(0, warm - 1), warm, warm + 1})
        for step in steps:
            expected = reference_lr(step, spe, base, warmup)
            answer, error = run(student_fn, step, spe, base, warmup)
            case = f"step {step} (steps_per_epoch={spe}, base_lr={base}, warmup_epochs={warmup})"
            if error is not None:
                report.fail(f"{case}: learning_rate raised {error}")
                return
            if as_number(answer) is None:
                report.fail(f"{case}: return a number, got {answer!r}")
                return
            answer = as_number(answer)
            if not math.isclose(answer, expected, rel_tol=1e-9, abs_tol=1e-15):
                slip = _schedule_slip(step, spe, base, warmup, answer)
                report.fail(f"{case}: yours {answer:.6g}, expected {expected:.6g}: " + (
                    slip or "base_lr * 0.94 ** floor(step / steps_per_epoch / 2), times (step + 1) / warm-up steps while warming up"))
                return
        report.ok(f"steps_per_epoch={spe}, base_lr={base}, warmup_epochs={warmup}: {len(steps)} steps match")


def _small_model(seed: int, channels: int = 4) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, channels, 3), nn.BatchNorm2d(channels), nn.ReLU(), nn.Flatten(),
                          nn.Linear(channels * 4 * 4, 3))
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2)
        model[1].num_batches_tracked.fill_(seed)
    return model


UPDATES = 16


def _average_trajectory(update: Callable[..., Any], decay: float, steps: int, channels: int = 4) -> tuple[list[dict], str | None]:
    """Start from model 0's weights, average models 1, 2, ... in turn with ``update`` (an update that
    changes the dicts it is given, instead of returning a new one, is an error)."""
    average = {k: v.clone() for k, v in _small_model(0, channels).state_dict().items()}
    states = []
    for n in range(steps):
        weights = {k: v.clone() for k, v in _small_model(n + 1, channels).state_dict().items()}
        given = {k: v.clone() for k, v in average.items()}
        untouched = Untouched(average=given, weights=weights)
        new, error = run(update, given, weights, decay, n)
        if error is not None:
            return states, f"update_average raised {error}"
        if untouched.changed():
            return states, (f"update {n + 1}: update_average changed its input {' and '.join(untouched.changed())} in place:"
                            " return a new dict of new tensors (d * a + (1 - d) * w, not a.mul_(d)) and leave both as given")
        if not isinstance(new, Mapping):
            return states, f"return the new average as a dict {{name: tensor}}, got {shape_of(new)}"
        average = dict(new)
        states.append(average)
    return states, None


def _library_update(average: dict, weights: dict, decay: float, num_updates: int) -> dict:
    model = _small_model(0, len(average["1.weight"]))
    ema = ModelEMA(model, decay)
    ema.module.load_state_dict(average)
    ema.num_updates = num_updates
    model.load_state_dict(weights)
    ema.update(model)
    return {k: v.clone() for k, v in ema.module.state_dict().items()}


def _ema_slips() -> dict[str, Callable[..., dict]]:
    def slip(no_warmup=False, swapped=False, late=False, copy_buffers=False):
        def update(average, weights, decay, n):
            d = decay if no_warmup else min(decay, (n if late else 1 + n) / (10 + n))
            out = {}
            for k, a in average.items():
                w = weights[k]
                if not a.is_floating_point() or (copy_buffers and "running" in k):
                    out[k] = w.clone()
                else:
                    out[k] = (1 - d) * a + d * w if swapped else d * a + (1 - d) * w
            return out
        return update

    return {
        "that is the new weights as they are: the average moves only a step (1 - d) towards them":
            lambda average, weights, decay, n: {k: v.clone() for k, v in weights.items()},
        "the decay has no warm-up: use min(decay, (1 + n) / (10 + n)) after n updates": slip(no_warmup=True),
        "decay and 1 - decay are swapped: the average keeps decay of itself, new = decay * average + (1 - decay) * weights":
            slip(swapped=True),
        "the warm-up is one update late: after n updates the decay is min(decay, (1 + n) / (10 + n))": slip(late=True),
        "the batch-norm running statistics are copied; average them like the weights (only integer buffers are copied)":
            slip(copy_buffers=True),
    }


@checker("Exercise: the running average of the weights")
def check_weight_average(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(average, weights, decay, num_updates)`` -> the new average (a state dict)."""
    if not callable(student_fn):
        report.fail(f"expected a function update_average(average, weights, decay, num_updates), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="write the update yourself"):
        return
    generator, _ = fresh_generator()
    drawn = round(0.3 + 0.69 * float(torch.rand(1, generator=generator)), 3), int(torch.randint(2, 7, (1,), generator=generator))
    # 16 updates: the warm-up's (1 + n) / (10 + n) passes 0.5 at n = 9; then a decay and width drawn for this call
    for decay, channels in ((0.9999, 4), (0.5, 3), drawn):
        states, error = _average_trajectory(student_fn, decay, UPDATES, channels)
        expected, _ = _average_trajectory(_library_update, decay, UPDATES, channels)
        for index, (mine, theirs) in enumerate(zip(states, expected)):
            wrong = [k for k in theirs if k not in mine or not isinstance(mine[k], torch.Tensor)
                     or mine[k].shape != theirs[k].shape or not torch.allclose(mine[k].double(), theirs[k].double(), atol=1e-6)]
            if wrong:
                advice = next((words for words, slip in _ema_slips().items()
                               if _same_states(states, _average_trajectory(slip, decay, len(states), channels)[0])), None)
                report.fail(f"decay {decay}, update {index + 1}: {', '.join(wrong[:3])} differ from ModelEMA's: " + (
                    advice or "new = d * average + (1 - d) * weights with d = min(decay, (1 + n) / (10 + n)), for every"
                    " floating-point entry; integer entries are copied"))
                return
        if error is not None:
            report.fail(error)
            return
        report.ok(f"decay {decay}: {UPDATES} updates match ModelEMA (weights, batch-norm statistics, counters)")


def _same_states(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(
        all(k in x and isinstance(x[k], torch.Tensor) and x[k].shape == v.shape and torch.allclose(x[k].double(), v.double(), atol=1e-6)
            for k, v in y.items())
        for x, y in zip(a, b)
    )


class TinyNet(nn.Module):
    """A stand-in network with one auxiliary head (training mode returns ``(logits, aux)``),
    batch norm (so training and eval mode differ) and dropout."""

    def __init__(self, aux: bool) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.AdaptiveAvgPool2d(2))
        self.aux = nn.Linear(24, 5) if aux else None
        self.fc = nn.Sequential(nn.Dropout(0.3), nn.Linear(24, 5))

    def forward(self, x: torch.Tensor) -> Any:
        h = self.features(x).flatten(1)
        logits = self.fc(h)
        return (logits, self.aux(h)) if self.training and self.aux is not None else logits


STEP_CASES = (  # (aux weights, clip norm, smoothing, batch size, image size); a drawn case follows
    ((0.4,), 0.5, 0.1, 6, 8),
    ((), None, 0.0, 3, 7),
    ((0.3,), 5.0, 0.2, 8, 9),
)


def _step_cases() -> list[tuple]:
    generator, _ = fresh_generator()
    aux, clip, smoothing = (round(float(v), 3) for v in torch.rand(3, generator=generator))
    batch, size = int(torch.randint(2, 9, (1,), generator=generator)), int(torch.randint(5, 11, (1,), generator=generator))
    return [*STEP_CASES, ((aux,) if aux > 0.3 else (), clip * 3 if clip > 0.2 else None, round(smoothing / 3, 3), batch, size)]


def _setup(aux_weights: tuple[float, ...]) -> tuple[nn.Module, torch.optim.Optimizer, ModelEMA]:
    torch.manual_seed(0)
    model = TinyNet(bool(aux_weights)).eval()
    optimizer = RMSpropTF(model.parameters(), lr=0.045, decay=0.9, eps=1.0, momentum=0.9)
    return model, optimizer, ModelEMA(model, decay=0.99)


def _reference_step(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing,
                    clip=True, zero_grad=True, ema_first=False) -> torch.Tensor:
    """The trainer's order (see ``Trainer.train_step``); the flags make the usual slips."""
    model.train()
    trainer = SimpleNamespace(
        criterion=nn.CrossEntropyLoss(label_smoothing=smoothing), config=SimpleNamespace(aux_weights=aux_weights)
    )
    outputs = model(images)
    loss = Trainer._loss(trainer, outputs, labels)  # noqa: SLF001
    loss.backward()
    if clip and clip_norm:
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    if ema_first:
        ema.update(model)
    optimizer.step()
    if zero_grad:
        optimizer.zero_grad(set_to_none=True)
    if not ema_first:
        ema.update(model)
    return loss.detach()


STEP_SLIPS = {
    "the gradients are not clipped: call nn.utils.clip_grad_norm_(model.parameters(), clip_norm) after backward"
    " and before optimizer.step()": {"clip": False},
    "the gradients are never reset, so the second step adds up two steps' gradients: optimizer.zero_grad() after"
    " the step (or before the backward)": {"zero_grad": False},
    "the weight average is updated before the optimiser step; update it after, with the new weights": {"ema_first": True},
}


def _step_trajectory(step_fn: Callable[..., Any] | None, case: tuple, steps: int = 2, **flags: Any):
    """Two steps from the same start; after each, ``(loss, model state, ema state)``. ``step_fn``
    ``None`` runs the trainer's order with the slips switched on by ``flags``."""
    aux_weights, clip_norm, smoothing, batch, size = case
    model, optimizer, ema = _setup(aux_weights)
    generator = torch.Generator().manual_seed(3)
    snapshots, error = [], None
    for _ in range(steps):
        images = torch.randn(batch, 3, size, size, generator=generator)
        labels = torch.randint(5, (batch,), generator=generator)
        if step_fn is None:
            with torch.enable_grad():
                loss = _reference_step(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing, **flags)
        else:
            untouched = Untouched(images=images, labels=labels)
            loss, error = run_with_grad(step_fn, model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing)
            if error is None and untouched.changed():
                error = (f"it changed its input {' and '.join(untouched.changed())} in place: the trainer reuses"
                         " the batch, so leave it as given (no images.sub_(...), labels[...] = ...)")
            if error is not None:
                break
        snapshots.append((loss, _state(model), _state(ema.module)))
    return snapshots, error


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def run_with_grad(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """``fn(*args)`` with gradients on (a training step needs them); ``(output, error)``."""
    try:
        with torch.enable_grad():
            return fn(*args), None
    except Exception as error:  # noqa: BLE001 - an error in student code becomes a message
        return None, f"{type(error).__name__}: {error}"


def _as_float(value: Any) -> float | None:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return all(k in a and torch.allclose(a[k].double(), v.double(), rtol=1e-5, atol=1e-7) for k, v in b.items())


@checker("Exercise: one training step")
def check_train_step(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing)``
    -> the loss, leaving the model stepped and the weight average updated, over two steps."""
    if not callable(student_fn):
        report.fail("expected a function train_step(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing)")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",),
                      write_instead="call the model, the loss, backward, clip_grad_norm_, optimizer.step() and ema.update() yourself"):
        return
    for case in _step_cases():
        aux_weights, clip_norm, smoothing, batch, size = case
        label = f"aux_weights={aux_weights}, clip_norm={clip_norm}, smoothing={smoothing}, {batch} images of {size}x{size}"
        mine, error = _step_trajectory(student_fn, case)
        expected, _ = _step_trajectory(None, case)
        for index, ((loss, weights, average), (ref_loss, ref_weights, ref_average)) in enumerate(zip(mine, expected)):
            step = f"{label}, step {index + 1}"
            value = _as_float(loss)
            if value is None:
                report.fail(f"{step}: return the loss (a number or a one-number tensor), got {shape_of(loss)}")
                return
            if not math.isclose(value, ref_loss.item(), rel_tol=1e-5):
                report.fail(
                    f"{step}: the loss is {value:.5f}, expected {ref_loss.item():.5f}: put the model in training mode"
                    " (model.train()), then cross-entropy with label_smoothing=smoothing on the logits, plus weight *"
                    " the same on each auxiliary output"
                )
                return
            if not _same_state(weights, ref_weights) or not _same_state(average, ref_average):
                part = "the weights" if not _same_state(weights, ref_weights) else "the weight average (ema)"
                advice = next((words for words, flags in STEP_SLIPS.items()
                               if _matches(mine[: index + 1], _step_trajectory(None, case, index + 1, **flags)[0])), None)
                report.fail(f"{step}: {part} differ from the trainer's: " + (
                    advice or "backward, clip the gradient norm, optimizer.step(), optimizer.zero_grad(), then ema.update(model)"))
                return
        if error is not None:
            report.fail(f"{label}: train_step " + (error if error.startswith("it changed") else f"raised {error}"))
            return
        report.ok(f"{label}: the losses, weights and weight average of two steps match the trainer's")


def _matches(mine: list, slip: list) -> bool:
    return len(mine) == len(slip) and all(
        _same_state(a[1], b[1]) and _same_state(a[2], b[2]) for a, b in zip(mine, slip)
    )
