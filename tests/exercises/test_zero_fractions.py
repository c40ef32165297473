"""check_zero_fractions: a correct hook-based measurement passes; each usual slip is named."""

import pytest

from inception_course.exercises.activations import check_zero_fractions
from inception_course.experiments.activations import measured_blocks


def exactly_zero(t):
    return (t == 0).float().mean().item()


def student(measure=exactly_zero, eval_mode=True, remove=True, restore=True, with_features=True):
    """A ``zero_fractions`` function; each option switches one part of the correct answer off."""

    def zero_fractions(model, images):
        fractions, handles = {}, []
        for name, block in measured_blocks(model):
            handles.append(block.register_forward_hook(lambda m, i, out, name=name: fractions.__setitem__(name, measure(out))))
        was_training = model.training
        if eval_mode:
            model.eval()
        features = model.forward_features(images)
        if restore:
            model.train(was_training)
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


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"measure": lambda t: float((t == 0).sum())}, "not the count"),
        ({"measure": lambda t: (t != 0).float().mean().item()}, "share of non-zero values"),
        ({"measure": lambda t: (t.abs() < 1e-2).float().mean().item()}, "exactly equal to 0"),
        ({"eval_mode": False}, "call model.eval()"),
        ({"remove": False}, "handle.remove()"),
        ({"restore": False}, "model.train(was_training)"),
        ({"with_features": False}, "'features'"),
    ],
)
def test_slips_are_named(kwargs, expected):
    result = check_zero_fractions(student(**kwargs), verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_not_a_function_and_errors_are_reported():
    assert "expected a function" in check_zero_fractions(42, verbose=False).messages[0]

    def broken(model, images):
        raise RuntimeError("boom")

    assert "raised RuntimeError: boom" in check_zero_fractions(broken, verbose=False).messages[0]
