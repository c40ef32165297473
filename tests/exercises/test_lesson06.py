"""Lesson 6's checkers (activation scaling): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson06.py``)."""

import math

import numpy as np
import pytest
import torch

from inception_course.exercises import check_died, check_residual_ratios
from inception_course.exercises.lesson06 import check_zero_fractions
from inception_course.experiments import activation_statistics, died
from inception_course.experiments.activations import measured_blocks
from inception_course.models.layers import ResidualInceptionBlock


def residual_ratios(model, images, *, scaled=True, invert=False, square=False, mode="eval", restore=True, remove=True,
                    keys=None, grad=False):
    """The solution; the keywords switch on one mistake each."""
    norms, handles = {}, []
    for name, block in measured_blocks(model):
        if not isinstance(block, ResidualInceptionBlock):
            continue

        def before(module, inputs, name=name):
            norms[name, "x"] = inputs[0].norm()

        def after(module, inputs, output, name=name, block=block):
            norms[name, "r"] = ((block.scale if scaled else 1.0) * output).norm()

        handles += [block.register_forward_pre_hook(before), block.up.register_forward_hook(after)]
    was_training = model.training
    model.train(mode == "train")
    with torch.set_grad_enabled(grad):
        model.forward_features(images)
    if remove:
        for handle in handles:
            handle.remove()
    if restore:
        model.train(was_training)
    ratios = {}
    for (name, kind), value in norms.items():
        if kind == "r":
            ratio = (norms[name, "x"] / value) if invert else (value / norms[name, "x"])
            ratios[(keys or (lambda n: n))(name)] = (ratio**2 if square else ratio).item()
    return ratios


def test_solution_passes():
    assert check_residual_ratios(residual_ratios, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda m, x: residual_ratios(m, x, scaled=False), "without the scale"),
        (lambda m, x: residual_ratios(m, x, invert=True), "upside down"),
        (lambda m, x: residual_ratios(m, x, square=True), "squared norms"),
        (lambda m, x: residual_ratios(m, x, mode="train"), "training mode gives"),
        (lambda m, x: residual_ratios(m, x, restore=False), "left in eval mode"),
        (lambda m, x: residual_ratios(m, x, remove=False), "hooks are still attached"),
        (lambda m, x: residual_ratios(m, x, keys=lambda n: n.split(".")[0]), "no value for"),
        (lambda m, x: dict(list(residual_ratios(m, x).items())[:-1]), "no value for"),
        (lambda m, x: {**residual_ratios(m, x), "features": 1.0}, "unexpected keys"),
        (lambda m, x: {k: 1.0 for k in residual_ratios(m, x)}, "expected"),
        (lambda m, x: {k: v * 1.01 for k, v in residual_ratios(m, x).items()}, "expected"),
        (lambda m, x: {k: str(v) for k, v in residual_ratios(m, x).items()}, "expected a number"),
        (lambda m, x: list(residual_ratios(m, x).values()), "return a dict"),
        (lambda m, x: 1 / 0, "ZeroDivisionError"),
        (12, "expected a function"),
        (lambda m, x: [residual_ratios(m, x), m.train()][0], "came in eval mode and left in training mode"),
        (lambda m, x: residual_ratios(m, x.mul_(2)), "changed its input images in place"),
        (lambda m, x: [residual_ratios(m, x), m.blocks_a[0].up.bias.data.zero_()][0], "changed its input weights"),
    ],
)
def test_wrong_ratios_fail(student, expected):
    result = check_residual_ratios(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def run_died(zeros, threshold, tail):
    if not zeros:
        return False
    last = zeros[-max(1, round(len(zeros) * tail)):]
    return sum(last) / len(last) >= threshold


def test_died_solution_passes():
    assert check_died(run_died, verbose=False).passed
    assert check_died(lambda *args: np.bool_(run_died(*args)), verbose=False).passed  # numpy's bool is a bool


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda z, t, ta: bool(z) and sum(z) / len(z) >= t, "tail"),  # the whole run averaged
        (lambda z, t, ta: bool(z) and z[-1] >= t, "average the whole tail"),
        (lambda z, t, ta: bool(z) and max(z) >= t, "tail"),
        (lambda z, t, ta: bool(z) and sum(z[-max(1, round(len(z) * ta)):]) / max(1, round(len(z) * ta)) > t, ">="),
        (lambda z, t, ta: run_died(z, t, 0.25), "use the tail argument"),
        (lambda z, t, ta: run_died(z, 0.95, ta), "use the threshold argument"),
        (lambda z, t, ta: bool(z) and sum(z[-int(len(z) * ta):]) / max(1, int(len(z) * ta)) >= t, "at least one"),
        (lambda z, t, ta: run_died(z, t, ta) if z else True, "no measurements"),
        (lambda z, t, ta: sum(z[-round(len(z) * ta):]) / round(len(z) * ta) >= t, "raised"),
        (lambda z, t, ta: not run_died(z, t, ta), "yours"),
        (lambda z, t, ta: "yes" if run_died(z, t, ta) else "no", "return True or False"),
        (lambda z, t, ta: died(z), "library's own"),
        (lambda z, t, ta: bool(z) and sum(z[-math.ceil(len(z) * ta):]) / math.ceil(len(z) * ta) >= t, "2.5 -> 2"),
        (lambda z, t, ta: bool(z) and sum(z[-max(1, math.floor(len(z) * ta + 0.5)):]) / max(1, math.floor(len(z) * ta + 0.5)) >= t,
         "2.5 values"),  # rounding half up
        (lambda z, t, ta: bool(z) and sum(z[-max(1, int(len(z) * ta)):]) / max(1, int(len(z) * ta)) >= t, "not int(len * tail)"),
        (lambda z, t, ta: run_died(z, t, ta) if len(z) > 1 else False, "one record"),
        (lambda z, t, ta: run_died(z, t, ta) if z.reverse() is None and z.reverse() is None and z.pop() else False,
         "changed its input zero_fractions in place"),
        (None, "expected a function"),
    ],
)
def test_wrong_criteria_fail(student, expected):
    result = check_died(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def exactly_zero(t):
    return (t == 0).float().mean().item()


def student(measure=exactly_zero, eval_mode=True, remove=True, restore=True, with_features=True, no_grad=True,
            final_mode=None, global_no_grad=False, prepare=None, after=None):
    """A ``zero_fractions`` function; each option switches one part of the correct answer off."""

    def zero_fractions(model, images):
        fractions, handles = {}, []
        for name, block in measured_blocks(model):
            handles.append(block.register_forward_hook(lambda m, i, out, name=name: fractions.__setitem__(name, measure(out))))
        was_training = model.training
        if eval_mode:
            model.eval()
        if global_no_grad:
            torch.set_grad_enabled(False)
        if prepare is not None:
            images = prepare(images)
        with torch.no_grad() if no_grad else torch.enable_grad():
            features = model.forward_features(images)
        if restore:
            model.train(was_training)
        if final_mode is not None:
            model.train(final_mode)
        if remove:
            for handle in handles:
                handle.remove()
        if with_features:
            fractions["features"] = measure(features)
        if after is not None:  # the right numbers, then something else done to the model
            after(model)
        return fractions

    return zero_fractions


def test_correct_measurement_passes():
    result = check_zero_fractions(student(), verbose=False)
    assert result.passed, result.messages
    assert len(result.checks) == 3  # residual, concatenating and dead networks
    # the last network's feature map is entirely zero, so "exactly zero" is tested at 100% too
    assert "died" in result.checks[2] and "100.0% zeros" in result.checks[2]


def library_measurement(model, images):
    return {row.block: row.zero_fraction for row in activation_statistics(model, images)}


WRONG = {
    "counts": ({"measure": lambda t: float((t == 0).sum())}, "not the count"),
    "percent": ({"measure": lambda t: 100 * (t == 0).float().mean().item()}, "is a percentage"),
    "non-zero share": ({"measure": lambda t: (t != 0).float().mean().item()}, "share of non-zero values"),
    "nearly zero": ({"measure": lambda t: (t.abs() < 1e-2).float().mean().item()}, "exactly equal to 0"),
    "a tensor, not a number": ({"measure": lambda t: (t == 0).float()}, "expected a number"),
    "training mode": ({"eval_mode": False}, "call model.eval()"),
    "gradients on": ({"no_grad": False}, "ran with gradients on"),
    "gradients switched off for good": ({"global_no_grad": True}, "switched off for the whole notebook"),
    "hooks left": ({"remove": False}, "handle.remove()"),
    "mode not restored": ({"restore": False}, "came in training mode and left in eval mode"),
    "always left in training mode": ({"final_mode": True}, "came in eval mode and left in training mode"),
    "no features": ({"with_features": False}, "'features'"),
    "images changed": ({"measure": exactly_zero, "prepare": lambda x: x.clamp_(min=0)}, "changed its input images in place"),
    "weights changed": ({"after": lambda model: model.fc.weight.data.mul_(0.5)}, "changed its input weights"),
}


@pytest.mark.parametrize("name", WRONG)
def test_slips_are_named(name):
    kwargs, expected = WRONG[name]
    result = check_zero_fractions(student(**kwargs), verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
    assert torch.is_grad_enabled()  # the guard restores grad mode whatever the submission did
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_the_library_s_own_measurement_is_refused():
    result = check_zero_fractions(library_measurement, verbose=False)
    assert not result.passed and "library's own implementation (activation_statistics" in result.messages[0]


def test_not_a_function_wrong_keys_and_errors_are_reported():
    assert "expected a function" in check_zero_fractions(42, verbose=False).messages[0]
    assert "return a dict" in check_zero_fractions(lambda m, x: [0.0], verbose=False).messages[0]
    extra = student()
    assert "unexpected keys" in check_zero_fractions(lambda m, x: {**extra(m, x), "stem": 0.0}, verbose=False).messages[0]

    def broken(model, images):
        raise RuntimeError("boom")

    assert "raised RuntimeError: boom" in check_zero_fractions(broken, verbose=False).messages[0]
