"""check_module_macs and check_aux_classifier: the solution passes, typical wrong answers fail
with a message that names the mistake, and nothing raises."""

import pytest
import torch
from torch import nn

from inception_course.exercises import check_aux_classifier, check_module_macs
from inception_course.models.describe import describe
from inception_course.models.googlenet import AuxClassifier
from inception_course.models.layers import ConvBNReLU


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


def test_aux_solution_passes():
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
