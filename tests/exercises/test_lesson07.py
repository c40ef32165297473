"""Lesson 7's checkers (the training recipe): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson07.py``)."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inception_course.exercises import check_lr_schedule, check_train_step, check_weight_average
from inception_course.exercises.lesson07 import HYPER_PARAMETERS, check_rmsprop_tf
from inception_course.training import RMSpropTF
from inception_course.training.schedule import PaperLRFactor


def tf_step(param, grad, ms, mom, lr, decay, eps, momentum):
    ms = decay * ms + (1 - decay) * grad**2
    mom = momentum * mom + lr * grad / (ms + eps).sqrt()
    return param - mom, ms, mom


def slip(eps_outside=False, lr_outside=False, ms_late=False, no_momentum=False, ascent=False, negative_mom=False,
         fixed=None, float32=False):
    """A student's step with mistakes switched on (written here, apart from the checker's own)."""

    def step(param, grad, ms, mom, lr, decay, eps, momentum):
        if fixed:
            decay, eps, momentum = fixed
        if float32:
            param, grad, ms, mom = (t.float() for t in (param, grad, ms, mom))
        new_ms = decay * ms + (1 - decay) * grad * grad
        used = ms if ms_late else new_ms
        denom = torch.sqrt(used) + eps if eps_outside else torch.sqrt(used + eps)
        velocity = grad / denom if lr_outside else lr * grad / denom
        new_mom = velocity if no_momentum else momentum * mom + velocity
        new_param = param - (lr * new_mom if lr_outside else new_mom)
        if ascent:
            new_param = param + (lr * new_mom if lr_outside else new_mom)
        return new_param, new_ms, (-new_mom if negative_mom else new_mom)

    return step


def test_tensorflow_step_passes_for_every_hyper_parameter_set():
    result = check_rmsprop_tf(tf_step, verbose=False)
    assert result.passed, result.messages
    assert len(result.checks) == len(HYPER_PARAMETERS) + 1 == 4  # and one set drawn for the call


def test_in_place_updates_fail():
    """The right numbers, but the caller's tensors are overwritten: the exercise returns new ones."""

    def in_place(param, grad, ms, mom, lr, decay, eps, momentum):
        ms.mul_(decay).addcmul_(grad, grad, value=1 - decay)
        mom.mul_(momentum).addcdiv_(grad, (ms + eps).sqrt(), value=lr)
        return param.sub_(mom), ms, mom

    def clamps_the_gradient(param, grad, ms, mom, lr, decay, eps, momentum):
        return tf_step(param, grad, ms, mom, lr, decay, eps, momentum) if grad.clamp_(-2, 2) is not None else None

    assert "changed param, ms, mom in place" in check_rmsprop_tf(in_place, verbose=False).messages[0]
    result = check_rmsprop_tf(clamps_the_gradient, verbose=False)
    assert not result.passed and "changed grad in place" in " ".join(result.messages)


def pytorch_rmsprop(param, grad, ms, mom, lr, decay, eps, momentum):
    """torch.optim.RMSprop's arithmetic, continued from the given state."""
    ms = decay * ms + (1 - decay) * grad**2
    mom = momentum * mom + grad / (ms.sqrt() + eps)
    return param - lr * mom, ms, mom


def library_step(param, grad, ms, mom, lr, decay, eps, momentum):
    p = torch.nn.Parameter(param.clone())
    opt = RMSpropTF([p], lr=lr, decay=decay, eps=eps, momentum=momentum)
    opt.state[p] = {"ms": ms.clone(), "mom": mom.clone()}
    p.grad = grad
    opt.step()
    return p.detach(), opt.state[p]["ms"], opt.state[p]["mom"]


WRONG = {
    "PyTorch's RMSprop": (pytorch_rmsprop, "that is PyTorch's own RMSprop"),
    "eps outside": (slip(eps_outside=True), "outside the square root"),
    "lr outside": (slip(lr_outside=True), "after the momentum"),
    "ms updated late": (slip(ms_late=True), "updated after the step"),
    "no momentum": (slip(no_momentum=True), "the momentum is missing"),
    "parameter moves uphill": (slip(ascent=True), "sign error: the parameter moves uphill"),
    "buffer with the wrong sign": (slip(negative_mom=True), "sign error in the momentum buffer"),
    "paper's numbers typed in": (slip(fixed=(0.9, 1.0, 0.9)), "ignores its decay, eps and momentum"),
    "other numbers typed in": (slip(fixed=(0.9, 1.0, 0.5)), "with decay=0.9, eps=1, momentum=0.9 (a parameter of shape (6,)), step 2"),
    "one shape assumed": (lambda p, g, ms, mom, *rest: tf_step(p.flatten(), g.flatten(), ms.flatten(), mom.flatten(), *rest),
                          "each returned tensor should have the parameter's shape (2, 3)"),
    "float32 arithmetic": (slip(float32=True), "differ from TensorFlow's RMSProp"),
    "plain SGD": (lambda p, g, ms, mom, lr, *_: (p - lr * g, ms, mom), "step 1 (lr 0.045): ms and mom are returned unchanged"),
    "ms only": (lambda p, g, ms, mom, lr, d, *_: (p - lr * g, d * ms + (1 - d) * g**2, mom * 0.5), "step 1 (lr 0.045): mom is returned unchanged"),
    "returns one tensor": (lambda *args: args[0], "return the three new tensors"),
    "wrong shapes": (lambda p, g, ms, mom, *_: (p[:1], ms, mom), "the parameter's shape"),
    "raises": (lambda *args: 1 / 0, "raised ZeroDivisionError"),
    "not a function": ("rmsprop", "expected a function"),
    "the library's optimiser": (library_step, "library's own implementation (RMSpropTF"),
}


@pytest.mark.parametrize("name", WRONG)
def test_slips_are_named(name):
    student, expected = WRONG[name]
    result = check_rmsprop_tf(student, verbose=False)
    assert not result.passed
    assert expected in result.messages[0]
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def learning_rate(step, steps_per_epoch, base_lr, warmup_epochs, *, every=2.0, decay=0.94, smooth=False, ramp_shift=1,
                  warm=True, epoch_shift=0):
    """The solution; the keywords switch on one mistake each."""
    epoch = (step + epoch_shift) / steps_per_epoch
    lr = base_lr * decay ** (epoch / every if smooth else math.floor(epoch / every))
    warmup_steps = round(warmup_epochs * steps_per_epoch)
    if warm and step < warmup_steps:
        lr *= (step + ramp_shift) / warmup_steps
    return lr


def test_schedule_solution_passes():
    assert check_lr_schedule(learning_rate, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda s, n, b, w: learning_rate(s, n, b, w, every=1), "every epoch"),
        (lambda s, n, b, w: learning_rate(s, n, b, w, smooth=True), "staircase"),
        (lambda s, n, b, w: learning_rate(s, n, b, w, warm=False), "warm-up is missing"),
        (lambda s, n, b, w: learning_rate(s, n, b, w, ramp_shift=0), "one step late"),
        (lambda s, n, b, w: learning_rate(s, n, b, w, epoch_shift=1), "counted from step + 1"),
        (lambda s, n, b, w: learning_rate(s, n, b, w, decay=0.96), "expected"),
        (lambda s, n, b, w: learning_rate(s, n, 0.045, w), "base_lr=0.09"),
        (lambda s, n, b, w: learning_rate(s, n, b, w) / b, "expected"),
        (lambda s, n, b, w: learning_rate(s, 1, b, w), "expected"),  # steps instead of epochs
        (lambda s, n, b, w: b * 0.94 ** (s // (2 * n)), "warm-up is missing"),
        (lambda s, n, b, w: f"{learning_rate(s, n, b, w)}", "return a number"),
        (lambda s, n, b, w: b * PaperLRFactor(n, warmup_epochs=w)(s), "library's own"),
        (lambda s, n, b, w: learning_rate(s, n, b, int(w * n) / n), "warmup_epochs=0.7"),  # int(4.9) warm-up steps
        (lambda s, n, b, w: learning_rate(s, n, b, math.ceil(w * n) / n), "warmup_epochs=0.25"),  # ceil(2.5)
        (lambda s, n, b: b, "raised"),
    ],
)
def test_wrong_schedules_fail(student, expected):
    result = check_lr_schedule(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def update_average(average, weights, decay, n, *, warm=True, swapped=False, late=False, copy_stats=False,
                   average_ints=False, params_only=False, use_max=False):
    """The solution; the keywords switch on one mistake each."""
    ramp = (n if late else 1 + n) / (10 + n)
    d = (max if use_max else min)(decay, ramp) if warm else decay
    new = {}
    for name, a in average.items():
        w = weights[name]
        if params_only and ("running" in name or "num_batches" in name):
            new[name] = a.clone()
        elif (not a.is_floating_point() and not average_ints) or (copy_stats and "running" in name):
            new[name] = w.clone()
        else:
            a, w = a.double(), w.double()
            new[name] = (1 - d) * a + d * w if swapped else d * a + (1 - d) * w
    return new


def test_average_solution_passes():
    assert check_weight_average(update_average, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda a, w, d, n: update_average(a, w, d, n, warm=False), "no warm-up"),
        (lambda a, w, d, n: update_average(a, w, d, n, swapped=True), "swapped"),
        (lambda a, w, d, n: update_average(a, w, d, n, late=True), "one update late"),
        (lambda a, w, d, n: update_average(a, w, d, n, copy_stats=True), "running statistics are copied"),
        (lambda a, w, d, n: update_average(a, w, d, n, average_ints=True), "num_batches_tracked"),
        (lambda a, w, d, n: update_average(a, w, d, n, params_only=True), "running_mean"),
        (lambda a, w, d, n: update_average(a, w, d, n, use_max=True), "differ from ModelEMA"),
        (lambda a, w, d, n: update_average(a, w, 0.9999, n), "decay 0.5"),
        (lambda a, w, d, n: {k: v.clone() for k, v in w.items()}, "differ from ModelEMA"),
        (lambda a, w, d, n: a.update(update_average(a, w, d, n)), "changed its input average in place"),
        (lambda a, w, d, n: None, "return the new average"),
        (lambda a, w, d, n: [update_average(a, w, d, n), *(v.zero_() for v in w.values())][0], "changed its input weights in place"),
        (lambda a, w, d, n: {k: v for k, v in update_average(a, w, d, n).items() if "bias" not in k}, "bias"),
        (lambda a, w, d, n: list(update_average(a, w, d, n).values()), "return the new average"),
        (lambda a, w, d: a, "raised"),
    ],
)
def test_wrong_averages_fail(student, expected):
    result = check_weight_average(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def train_step(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing, *, train=True, clip="norm",
               zero=True, ema_first=False, ema_update=True, use_aux=True, smooth_aux=True, result="loss"):
    """The solution; the keywords switch on one mistake each."""
    if train:
        model.train()
    outputs = model(images)
    logits, *aux = outputs if isinstance(outputs, tuple) else (outputs,)
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    if use_aux:
        for weight, a in zip(aux_weights, aux):
            loss = loss + weight * F.cross_entropy(a, labels, label_smoothing=smoothing if smooth_aux else 0.0)
    loss.backward()
    if clip_norm and clip == "norm":
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    elif clip_norm and clip == "value":
        nn.utils.clip_grad_value_(model.parameters(), clip_norm)
    if ema_first and ema_update:
        ema.update(model)
    optimizer.step()
    if zero:
        optimizer.zero_grad()
    if ema_update and not ema_first:
        ema.update(model)
    return {"loss": loss, "item": loss.item(), "none": None, "list": [loss.item()]}[result]


def test_step_solution_passes():
    assert check_train_step(train_step, verbose=False).passed
    assert check_train_step(lambda *a: train_step(*a, result="item"), verbose=False).passed


@pytest.mark.parametrize(
    "mistake, expected",
    [
        ({"train": False}, "training mode"),
        ({"clip": None}, "not clipped"),
        ({"clip": "value"}, "weights differ"),
        ({"zero": False}, "never reset"),
        ({"ema_first": True}, "before the optimiser step"),
        ({"ema_update": False}, "weight average (ema) differ"),
        ({"use_aux": False}, "the loss is"),
        ({"smooth_aux": False}, "the loss is"),
        ({"result": "none"}, "return the loss"),
        ({"result": "list"}, "return the loss"),
    ],
)
def test_wrong_steps_fail(mistake, expected):
    result = check_train_step(lambda *args: train_step(*args, **mistake), verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def sum_over_six(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing):
    """The mean written as a sum over the first case's batch size."""
    model.train()
    outputs = model(images)
    logits, *aux = outputs if isinstance(outputs, tuple) else (outputs,)
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing, reduction="sum") / 6
    for weight, a in zip(aux_weights, aux):
        loss = loss + weight * F.cross_entropy(a, labels, label_smoothing=smoothing, reduction="sum") / 6
    loss.backward()
    if clip_norm:
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    optimizer.zero_grad()
    ema.update(model)
    return loss


def backward_of_another_loss(model, images, labels, optimizer, ema, aux_weights, clip_norm, smoothing):
    """Returns the right loss, but back-propagates the one without label smoothing."""
    model.train()
    outputs = model(images)
    logits, *aux = outputs if isinstance(outputs, tuple) else (outputs,)
    losses = [F.cross_entropy(logits, labels, label_smoothing=value) for value in (smoothing, 0.0)]
    for weight, a in zip(aux_weights, aux):
        losses = [loss + weight * F.cross_entropy(a, labels, label_smoothing=value) for loss, value in zip(losses, (smoothing, 0.0))]
    losses[1].backward()
    if clip_norm:
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    optimizer.zero_grad()
    ema.update(model)
    return torch.tensor(losses[0].item())  # a float rebuilt as a tensor


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda m, x, y, opt, ema, w, c, s: train_step(m, x, y, opt, ema, w, c, 0.1), "smoothing=0.0"),
        (lambda m, x, y, opt, ema, w, c, s: train_step(m, x, y, opt, ema, w, 2.0, s), "clip_norm=0.5"),
        (lambda m, x, y, opt, ema, w, c, s: [train_step(m, x, y, opt, ema, w, c, s) for _ in range(2)][0], "step 1"),
        (lambda m, x, y, opt, ema, w, c, s: 1 / 0, "ZeroDivisionError"),
        (lambda m, x, y, opt, ema, w, c, s: train_step(m, x.sub_(x.mean()), y, opt, ema, w, c, s), "changed its input images in place"),
        (sum_over_six, "3 images of 7x7, step 1: the loss is"),  # right for batches of 6 only
        (backward_of_another_loss, "weights differ"),  # the right loss returned, another one back-propagated
        ("train_step", "expected a function"),
    ],
)
def test_more_wrong_steps_fail(student, expected):
    result = check_train_step(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
