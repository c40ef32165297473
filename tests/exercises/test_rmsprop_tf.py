"""check_rmsprop_tf: TensorFlow's arithmetic passes for every hyper-parameter set; PyTorch's
RMSprop, its placements, sign errors, fixed numbers and the other slips are each named."""

import pytest
import torch

from inception_course.exercises.optim import HYPER_PARAMETERS, check_rmsprop_tf
from inception_course.training import RMSpropTF


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
    assert len(result.checks) == len(HYPER_PARAMETERS) == 3


def test_in_place_updates_pass_too():
    def in_place(param, grad, ms, mom, lr, decay, eps, momentum):
        ms.mul_(decay).addcmul_(grad, grad, value=1 - decay)
        mom.mul_(momentum).addcdiv_(grad, (ms + eps).sqrt(), value=lr)
        return param.sub_(mom), ms, mom

    assert check_rmsprop_tf(in_place, verbose=False).passed


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
    "other numbers typed in": (slip(fixed=(0.9, 1.0, 0.5)), "with decay=0.9, eps=1, momentum=0.9, step 2"),
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
