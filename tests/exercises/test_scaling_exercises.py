"""check_residual_ratios and check_died: the solutions pass; wrong measurements and criteria fail
with a message that names the mistake; nothing raises."""

import pytest
import torch

from inception_course.exercises import check_died, check_residual_ratios
from inception_course.experiments import died
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
        (None, "expected a function"),
    ],
)
def test_wrong_criteria_fail(student, expected):
    result = check_died(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
