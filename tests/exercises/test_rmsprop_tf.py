"""check_rmsprop_tf: TensorFlow's arithmetic passes; PyTorch's placements and other slips are named."""

import pytest

from inception_course.exercises.optim import _slip, check_rmsprop_tf


def tf_step(param, grad, ms, mom, lr, decay, eps, momentum):
    ms = decay * ms + (1 - decay) * grad**2
    mom = momentum * mom + lr * grad / (ms + eps).sqrt()
    return param - mom, ms, mom


def test_tensorflow_step_passes():
    result = check_rmsprop_tf(tf_step, verbose=False)
    assert result.passed, result.messages
    assert len(result.checks) == 4


def test_in_place_updates_pass_too():
    def in_place(param, grad, ms, mom, lr, decay, eps, momentum):
        ms.mul_(decay).addcmul_(grad, grad, value=1 - decay)
        mom.mul_(momentum).addcdiv_(grad, (ms + eps).sqrt(), value=lr)
        return param.sub_(mom), ms, mom

    assert check_rmsprop_tf(in_place, verbose=False).passed


@pytest.mark.parametrize(
    "flags, expected",
    [
        ({"eps_outside": True}, "outside the square root"),
        ({"lr_outside": True}, "after the momentum"),
        ({"ms_late": True}, "updated after the step"),
        ({"no_momentum": True}, "the momentum is missing"),
    ],
)
def test_slips_are_named(flags, expected):
    result = check_rmsprop_tf(_slip(**flags), verbose=False)
    assert not result.passed
    assert expected in result.messages[0]


def test_other_mistakes_are_reported_plainly():
    def sgd(param, grad, ms, mom, lr, decay, eps, momentum):
        return param - lr * grad, ms, mom

    assert "step 1: param, ms, mom differ" in check_rmsprop_tf(sgd, verbose=False).messages[0]
    assert "return the three new tensors" in check_rmsprop_tf(lambda *args: args[0], verbose=False).messages[0]
    assert "expected a function" in check_rmsprop_tf("rmsprop", verbose=False).messages[0]
