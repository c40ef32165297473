"""check_zero_fractions: a correct hook-based measurement passes; each usual slip - counts or
percentages, training mode, gradients on, hooks or mode left behind, the library's own
measurement - is rejected with its own message."""

import pytest
import torch

from inception_course.exercises.activations import check_zero_fractions
from inception_course.experiments import activation_statistics
from inception_course.experiments.activations import measured_blocks


def exactly_zero(t):
    return (t == 0).float().mean().item()


def student(measure=exactly_zero, eval_mode=True, remove=True, restore=True, with_features=True, no_grad=True,
            final_mode=None, global_no_grad=False):
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
