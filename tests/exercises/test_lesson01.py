"""Lesson 1's checkers (GoogLeNet): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson01.py``)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from inception_course.exercises import (
    check_aux_classifier,
    check_aux_loss,
    check_inception_a,
    check_inception_v1_module,
    check_module_macs,
)
from inception_course.exercises.lesson01 import reference_loss
from inception_course.models.describe import describe
from inception_course.models.googlenet import TABLE_1, AuxClassifier, InceptionModule
from inception_course.models.layers import ConvBNReLU, InceptionBlock

from hand_built import clears_input, inception_a, module_3a, square_only


class Broken(nn.Module):
    def forward(self, x):
        raise RuntimeError("oops")


def messages(result):
    return " ".join(result.messages)


def test_hand_built_blocks_pass_and_summary_says_so(capsys):
    result = check_inception_a(inception_a())
    assert result.passed and result.messages == []
    assert "PASSED" in capsys.readouterr().out
    assert check_inception_v1_module(module_3a(), verbose=False).passed


V1_WRONG = {
    "skeleton: one branch": (lambda: module_3a(branches=1), "has 64 channels, expected 256"),
    "missing pool branch": (lambda: module_3a(branches=3), "has 224 channels"),
    "3x3 instead of 5x5": (lambda: module_3a(kernel_5x5=3), "branch 2 has"),
    "5x5 padded by 1": (lambda: module_3a(padding_5x5=1), "different grid sizes"),
    "avg pool": (lambda: module_3a(pool=nn.AvgPool2d(3, stride=1, padding=1)), "the reference's is MaxPool2d"),
    "pool without padding": (lambda: module_3a(pool=nn.MaxPool2d(3, stride=1)), "different grid sizes"),
    "pool with stride 2": (lambda: module_3a(pool=nn.MaxPool2d(3, stride=2, padding=1)), "different grid sizes"),
    "branches swapped": (lambda: module_3a(order=(0, 2, 1, 3)), "in another order"),
    "dropout after the pool": (lambda: module_3a(dropout=True), "in train mode"),
    "no batch norm": (lambda: module_3a(bn=False), "parameters, the reference"),
    "the library's module": (lambda: InceptionModule(192, *TABLE_1["3a"]), "library's own implementation (InceptionModule"),
    "wrapped library module": (lambda: nn.Sequential(InceptionModule(192, *TABLE_1["3a"])), "library's own implementation"),
    "forward raises": (Broken, "RuntimeError: oops"),
}


@pytest.mark.parametrize("name", V1_WRONG)
def test_wrong_module_3a_fails_with_the_reason(name):
    build, expected = V1_WRONG[name]
    result = check_inception_v1_module(build(), verbose=False)
    assert not result.passed
    assert expected in messages(result)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_checker_is_repeatable():
    torch.manual_seed(0)
    first = check_inception_v1_module(module_3a(), verbose=False)
    second = check_inception_v1_module(module_3a(), verbose=False)
    assert first.passed and second.passed and first.checks == second.checks


def module_3a_all(bn: bool, first_bn: bool | None = None):
    """Module 3a built by hand with or without batch norm everywhere (``first_bn`` mixes the two)."""
    first = bn if first_bn is None else first_bn
    return InceptionBlock([
        ConvBNReLU(192, 64, 1, bn=first),
        nn.Sequential(ConvBNReLU(192, 96, 1, bn=bn), ConvBNReLU(96, 128, 3, padding=1, bn=bn)),
        nn.Sequential(ConvBNReLU(192, 16, 1, bn=bn), ConvBNReLU(16, 32, 5, padding=2, bn=bn)),
        nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), ConvBNReLU(192, 32, 1, bn=bn)),
    ])


def test_v1_module_as_the_paper_or_with_batch_norm_passes_but_not_a_mix():
    paper = check_inception_v1_module(module_3a_all(bn=False), verbose=False)
    assert paper.passed and not any("batch norm" in c for c in paper.checks)
    with_bn = check_inception_v1_module(module_3a_all(bn=True), verbose=False)
    assert with_bn.passed and "the 2014 paper had none" in with_bn.checks[0]
    assert not check_inception_v1_module(module_3a_all(bn=False, first_bn=True), verbose=False).passed


def conv_macs(grid, c_in, c_out, k):
    return grid * grid * c_out * k * k * c_in


def module_macs(c_in, row, grid, *, reduce=True, k3=9, k5=25, proj=True, as_tuple=False):
    """The solution; the keywords switch on one mistake each."""
    r3, r5 = (row.ch3x3red, row.ch5x5red) if reduce else (c_in, c_in)
    macs = [
        conv_macs(grid, c_in, row.ch1x1, 1),
        (conv_macs(grid, c_in, row.ch3x3red, 1) if reduce else 0) + grid * grid * row.ch3x3 * k3 * r3,
        (conv_macs(grid, c_in, row.ch5x5red, 1) if reduce else 0) + grid * grid * row.ch5x5 * k5 * r5,
        conv_macs(grid, c_in, row.pool_proj, 1) if proj else 0,
    ]
    return tuple(macs) if as_tuple else macs


def test_solution_passes():
    assert check_module_macs(module_macs, verbose=False).passed
    assert check_module_macs(lambda c, r, g: module_macs(c, r, g, as_tuple=True), verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, r, g: module_macs(c, r, g, reduce=False), "1x1 reduction comes first"),
        (lambda c, r, g: module_macs(c, r, g, k3=3), "3 * 3 = 9 weights"),
        (lambda c, r, g: module_macs(c, r, g, k5=5), "5 * 5 = 25 weights"),
        (lambda c, r, g: module_macs(c, r, g, proj=False), "pool_proj"),
        (lambda c, r, g: sum(module_macs(c, r, g)), "return a list of four numbers"),
        (lambda c, r, g: module_macs(c, r, 28), "module 4a"),  # grid typed in: right for 3a/3b only
        (lambda c, r, g: module_macs(192, r, g), "module 3b"),  # c_in typed in
        (lambda c, r, g: module_macs(c, r, g)[::-1], "branch 1"),  # branches in the wrong order
        (lambda c, r, g: [m * 2 for m in module_macs(c, r, g)], "branch 1"),  # counted FLOPs, not MACs
        (lambda c, r, g: [float(m) + 0.5 for m in module_macs(c, r, g)], "branch 1"),
        (lambda c, r, g: [describe(b, g).total.macs for b in []], "library"),  # refers to describe
        (lambda c, r, g: 1 / 0, "ZeroDivisionError"),
        ("not a function", "expected a function"),
    ],
)
def test_wrong_macs_fail(student, expected):
    result = check_module_macs(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


class AuxHead(nn.Module):
    """The paper's auxiliary classifier; the keywords switch on one mistake each."""

    def __init__(self, in_channels, num_classes, *, pool=None, conv=128, hidden=1024, p=0.7, relu=True,
                 dropout_first=False, bn=False, extra_dropout=False):
        super().__init__()
        self.pool = pool or nn.AvgPool2d(5, stride=3)
        self.conv = ConvBNReLU(in_channels, conv, 1, bn=bn)
        self.fc1 = nn.Linear(conv * 16, hidden)
        self.relu, self.dropout_first, self.extra = relu, dropout_first, nn.Dropout(0.2) if extra_dropout else nn.Identity()
        self.dropout = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.extra(self.conv(self.pool(x)))
        if self.dropout_first:
            x = self.dropout(x)
        x = self.fc1(x.flatten(1))
        x = torch.relu(x) if self.relu else x
        return self.fc2(x if self.dropout_first else self.dropout(x))


def test_aux_head_solution_passes():
    assert check_aux_classifier(AuxHead, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, k: AuxHead(c, k, pool=nn.MaxPool2d(5, stride=3)), "the reference's is AvgPool2d"),
        (lambda c, k: AuxHead(c, k, pool=nn.AdaptiveAvgPool2d(4)), "0 pooling layer(s), the reference 1"),
        (lambda c, k: AuxHead(c, k, conv=127), "parameters"),
        (lambda c, k: AuxHead(c, k, hidden=1000), "parameters"),
        (lambda c, k: AuxHead(c, k, relu=False), "computes something else"),
        (lambda c, k: AuxHead(c, k, p=0.5), "training mode"),
        (lambda c, k: AuxHead(c, k, p=0.0), "training mode"),
        (lambda c, k: AuxHead(c, k, extra_dropout=True), "training mode"),
        (lambda c, k: AuxHead(c, k, bn=True), "parameters"),
        (lambda c, k: AuxHead(c, 1000), "returns (2, 1000)"),  # num_classes ignored
        (lambda c, k: AuxHead(512, k), "raised"),  # in_channels typed in
        (lambda c, k: AuxClassifier(c, k, nn.AvgPool2d(5, stride=3), bn=False), "library's own implementation"),
        (AuxHead(512, 10), "not a built module"),
        (42, "expected a class or function"),
    ],
)
def test_wrong_aux_heads_fail(student, expected):
    result = check_aux_classifier(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def training_loss(outputs, labels, aux_weights):
    if isinstance(outputs, torch.Tensor):
        return F.cross_entropy(outputs, labels)
    logits, *aux = outputs
    return F.cross_entropy(logits, labels) + sum(w * F.cross_entropy(a, labels) for w, a in zip(aux_weights, aux))


def as_tuple(outputs):
    return outputs if isinstance(outputs, tuple) else (outputs,)


def test_aux_loss_solution_passes():
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


# Wrong answers that passed when every input had one size, losses were never back-propagated,
# inputs were not looked at after the call, and the library's layers re-wrapped counted as the student's.


class HoldsBranches(nn.Module):
    """Its own class and forward, over branches built elsewhere."""

    def __init__(self, branches):
        super().__init__()
        self.branches = branches

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


@pytest.mark.parametrize(
    "build, expected",
    [
        (square_only(module_3a), "(2, 192, 16, 10), in eval mode, your block raised"),
        (clears_input(module_3a), "changed its input in place (argument 1"),
        (lambda: HoldsBranches(InceptionModule(192, *TABLE_1["3a"], bn=False).branches),
         "made of layers taken from the library's own InceptionModule"),
        (lambda: InceptionBlock(list(InceptionModule(192, *TABLE_1["3a"]).branches)), "taken from the library's own"),
    ],
)
def test_v1_module_wrong_answers_of_the_new_classes_fail(build, expected):
    result = check_inception_v1_module(build(), verbose=False)
    assert not result.passed
    assert expected in messages(result)


def test_v1_module_handed_in_eval_mode_passes_and_varied_sizes_are_listed():
    result = check_inception_v1_module(module_3a().eval(), verbose=False)
    assert result.passed
    assert any(check.startswith("the same outputs on inputs of other batch and grid sizes: 1x") for check in result.checks)


TYPED_MACS = {(c_in, grid): module_macs(c_in, TABLE_1[name], grid) for name, (c_in, grid) in
              {"3a": (192, 28), "3b": (256, 28), "4a": (480, 14), "4e": (528, 14), "5b": (832, 7)}.items()}


def test_macs_typed_in_for_table_1_fail_and_numbers_of_any_kind_pass():
    typed = check_module_macs(lambda c, r, g: TYPED_MACS.get((c, g), [0, 0, 0, 0]), verbose=False)
    assert not typed.passed and "a made-up module" in messages(typed)
    for kind in (np.int64, np.float64, torch.tensor):
        assert check_module_macs(lambda c, r, g: [kind(m) for m in module_macs(c, r, g)], verbose=False).passed, kind


class LibraryParts:
    """A lookup the authorship check does not read into (a dict of classes)."""

    classes = {"aux": AuxClassifier}


class RewrappedAux(nn.Module):
    """Its own forward, over the layers of the library's auxiliary classifier."""

    def __init__(self, c, k):
        super().__init__()
        library = LibraryParts.classes["aux"](c, k, nn.AvgPool2d(5, stride=3), bn=False)
        self.pool, self.conv, self.fc1, self.dropout, self.fc2 = (
            library.pool, library.conv, library.fc1, library.dropout, library.fc2)

    def forward(self, x):
        x = self.conv(self.pool(x))
        return self.fc2(self.dropout(torch.relu(self.fc1(x.flatten(1)))))


class ClipsInput(AuxHead):
    """Right output, but it clamps its input in place first (no value changes: PyTorch still counts it)."""

    def forward(self, x):
        x.clamp_(max=1e6)
        return super().forward(x)


class BatchOfTwo(AuxHead):
    def forward(self, x):
        x = self.conv(self.pool(x)).reshape(2, -1)  # the batch size typed in
        return self.fc2(self.dropout(torch.relu(self.fc1(x))))


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, k: AuxHead(c, k, pool=nn.AvgPool2d(5, stride=3, ceil_mode=True)), "rounding down, still gives 4x4"),
        (BatchOfTwo, "(1, 528, 15, 15) raised"),
        (ClipsInput, "changed its input in place"),
        (RewrappedAux, "made of layers taken from the library's own AuxClassifier"),
    ],
)
def test_aux_head_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_aux_classifier(student, verbose=False)
    assert not result.passed
    assert expected in messages(result)


def two_heads_at_most(outputs, labels, aux_weights):
    if isinstance(outputs, torch.Tensor):
        return F.cross_entropy(outputs, labels)
    logits, *aux = outputs
    return F.cross_entropy(logits, labels) + sum(w * F.cross_entropy(a, labels) for w, a in zip(aux_weights[:2], aux[:2]))


def aux_detached(outputs, labels, aux_weights):
    if isinstance(outputs, torch.Tensor):
        return F.cross_entropy(outputs, labels)
    return training_loss((outputs[0], *(a.detach() for a in outputs[1:])), labels, aux_weights)


def shifted_in_place(outputs, labels, aux_weights):
    for logits in as_tuple(outputs):
        logits.sub_(logits.max())  # "for numerical stability", in place
    return training_loss(outputs, labels, aux_weights)


def clears_labels(outputs, labels, aux_weights):
    loss = training_loss(outputs, labels, aux_weights)
    labels.zero_()
    return loss


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda o, y, w: torch.tensor(training_loss(o, y, w).item()), "carries no gradient"),
        (aux_detached, "wrong gradient with respect to auxiliary output 1"),
        (shifted_in_place, "raised RuntimeError"),  # PyTorch refuses in-place changes of logits that need gradients
        (clears_labels, "changed its input in place (argument 2"),
        (lambda o, y, w: training_loss(o, y, tuple(round(v, 1) for v in w)), "expected"),  # weights rounded
        (two_heads_at_most, "3 heads"),
    ],
)
def test_aux_loss_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_aux_loss(student, verbose=False)
    assert not result.passed
    assert expected in messages(result)
