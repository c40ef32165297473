"""check_aux_loss and check_label_smoothing: the solution passes, typical wrong answers fail with a
message that names the mistake, and nothing raises."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inception_course.exercises import check_aux_loss, check_label_smoothing
from inception_course.exercises.losses import reference_loss


def training_loss(outputs, labels, aux_weights):
    if isinstance(outputs, torch.Tensor):
        return F.cross_entropy(outputs, labels)
    logits, *aux = outputs
    return F.cross_entropy(logits, labels) + sum(w * F.cross_entropy(a, labels) for w, a in zip(aux_weights, aux))


def as_tuple(outputs):
    return outputs if isinstance(outputs, tuple) else (outputs,)


def test_aux_solution_passes():
    assert check_aux_loss(training_loss, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda o, y, w: sum(F.cross_entropy(a, y) for a in as_tuple(o)), "without their weights"),
        (lambda o, y, w: F.cross_entropy(as_tuple(o)[0], y), "only the main classifier"),
        (lambda o, y, w: sum(F.cross_entropy(a, y) for a in as_tuple(o)) / len(as_tuple(o)), "averaged"),
        (lambda o, y, w: sum(wi * F.cross_entropy(a, y) for wi, a in zip((w[0] if w else 1, *w), as_tuple(o))),
         "main loss is weighted"),
        (lambda o, y, w: training_loss(o, y, (0.3, 0.3)), "Inception-v3"),  # GoogLeNet's weights typed in
        (lambda o, y, w: training_loss(o, y, (w[0],) * len(w) if w else w), "wrong order"),
        (lambda o, y, w: training_loss(o, y, w).item(), "one-number tensor"),
        (lambda o, y, w: F.cross_entropy(as_tuple(o)[0], y, reduction="none"), "one-number tensor"),
        (lambda o, y, w: training_loss(o, y, w) + 0.01, "expected"),
        (lambda o, y, w: training_loss(tuple(F.softmax(a, 1) for a in as_tuple(o)), y, w), "expected"),
        (lambda o, y, w: reference_loss(o, y, w), "library's own implementation"),
        (lambda o, y, w: training_loss(o, y.float(), w), "raised"),  # float labels: cross_entropy refuses them
        (None, "expected a function"),
    ],
)
def test_wrong_aux_losses_fail(student, expected):
    result = check_aux_loss(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def smoothed(logits, labels, eps):
    k = logits.shape[1]
    target = (1 - eps) * F.one_hot(labels, k) + eps / k
    return -(target * logits.log_softmax(1)).sum(1).mean()


def test_smoothing_solution_passes():
    assert check_label_smoothing(smoothed, verbose=False).passed


def k_minus_one(logits, labels, eps):
    k = logits.shape[1]
    one_hot = F.one_hot(labels, k).float()
    target = (1 - eps) * one_hot + eps / (k - 1) * (1 - one_hot)
    return -(target * logits.log_softmax(1)).sum(1).mean()


@pytest.mark.parametrize(
    "student, expected",
    [
        (k_minus_one, "K - 1 wrong classes"),
        (lambda z, y, e: smoothed(z, y, e) * z.shape[0], "summed over the batch"),
        (lambda z, y, e: F.cross_entropy(z, y), "no smoothing"),
        (lambda z, y, e: -((F.one_hot(y, z.shape[1]) + e / z.shape[1]) * z.log_softmax(1)).sum(1).mean(), "full weight 1"),
        (lambda z, y, e: smoothed(z, y, 0.1), "typed in"),
        (lambda z, y, e: -(((1 - e) * F.one_hot(y, z.shape[1]) + e / z.shape[1]) * z.softmax(1).log()).sum(1).mean() + 1e-3,
         "expected"),
        (lambda z, y, e: -(((1 - e) * F.one_hot(y, z.shape[1]) + e / z.shape[1]) * z.softmax(1)).sum(1).mean(), "expected"),
        (lambda z, y, e: nn.CrossEntropyLoss(label_smoothing=e)(z, y), "passes label_smoothing to PyTorch"),
        (lambda z, y, e: F.cross_entropy(z, y, label_smoothing=e), "passes label_smoothing to PyTorch"),
        (lambda z, y, e: smoothed(z, y, e).item(), "one-number tensor"),
        (lambda z, y, e: smoothed(z, y, e) if z.shape[1] < 100 else smoothed(z[:, :10], y % 10, e), "1000 classes"),
        (lambda z, y: smoothed(z, y, 0.1), "raised"),
        ("smoothed", "expected a function"),
    ],
)
def test_wrong_smoothing_fails(student, expected):
    result = check_label_smoothing(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_the_tripwire_is_removed_afterwards():
    check_label_smoothing(lambda z, y, e: F.cross_entropy(z, y, label_smoothing=e), verbose=False)
    logits, labels = torch.randn(3, 4), torch.tensor([0, 1, 2])
    assert F.cross_entropy(logits, labels, label_smoothing=0.1) > 0
