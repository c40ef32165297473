"""check_inception_v1_module and check_inception_a: hand-built blocks pass; a corpus of wrong
answers - including the library's own block, a stray Dropout and train/eval differences - fails
with a message that names the mistake and where it is."""

import pytest
import torch
from torch import nn

from inception_course.exercises import check_inception_a, check_inception_v1_module
from inception_course.models.googlenet import TABLE_1, InceptionModule
from inception_course.models.inception_v4 import InceptionA
from inception_course.models.layers import ConvBNReLU, InceptionBlock


class ReLUBeforeBN(nn.Module):
    """Same parameters as ConvBNReLU, wrong order of operations."""

    def __init__(self, c_in, c_out, k, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3)

    def forward(self, x):
        return self.bn(torch.relu(self.conv(x)))


def inception_a(pool=None, order=(0, 1, 2, 3), second_padding=1, bn=True, branches=4, width0=96,
                dropout=False, unit=ConvBNReLU, stride=1):
    """An Inception-A built by hand, with one mistake switched on by the arguments."""
    c = 384
    pool = pool or nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    built = [
        ConvBNReLU(c, width0, 1, bn=bn),
        nn.Sequential(ConvBNReLU(c, 64, 1), *([nn.Dropout(0.2)] if dropout else []),
                      ConvBNReLU(64, 96, 3, padding=second_padding, stride=stride)),
        nn.Sequential(ConvBNReLU(c, 64, 1), unit(64, 96, 3, padding=1), ConvBNReLU(96, 96, 3, padding=1)),
        nn.Sequential(pool, ConvBNReLU(c, 96, 1)),
    ]
    return InceptionBlock([built[i] for i in order][:branches])


def module_3a(kernel_5x5=5, pool=None, order=(0, 1, 2, 3), branches=4, padding_5x5=None, dropout=False, bn=True):
    pool = pool or nn.MaxPool2d(3, stride=1, padding=1)
    padding_5x5 = kernel_5x5 // 2 if padding_5x5 is None else padding_5x5
    built = [
        ConvBNReLU(192, 64, 1, bn=bn),
        nn.Sequential(ConvBNReLU(192, 96, 1), ConvBNReLU(96, 128, 3, padding=1)),
        nn.Sequential(ConvBNReLU(192, 16, 1), ConvBNReLU(16, 32, kernel_5x5, padding=padding_5x5)),
        nn.Sequential(pool, *([nn.Dropout(0.5)] if dropout else []), ConvBNReLU(192, 32, 1)),
    ]
    return InceptionBlock([built[i] for i in order][:branches])


class Wrapper(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


class SubclassA(InceptionA):
    pass


class CallsLibraryForward(nn.Module):
    """The right layers, but forward borrowed from the library's class."""

    def __init__(self):
        super().__init__()
        self.branches = inception_a().branches

    def forward(self, x):
        return InceptionA.forward(self, x)


class Broken(nn.Module):
    def forward(self, x):
        raise RuntimeError("oops")


class Summed(nn.Module):
    def __init__(self):
        super().__init__()
        self.branches = inception_a().branches

    def forward(self, x):
        return sum(branch(x) for branch in self.branches)


class FixedSize(nn.Module):
    """Right layers, but the output is reshaped to the size the checker tries first."""

    def __init__(self):
        super().__init__()
        self.branches = inception_a().branches

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1).reshape(2, 384, 35, 35)


class TrainOnlyScale(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = inception_a()

    def forward(self, x):
        out = self.block(x)
        return out * 1.01 if self.training else out


def messages(result):
    return " ".join(result.messages)


def test_hand_built_blocks_pass_and_summary_says_so(capsys):
    result = check_inception_a(inception_a())
    assert result.passed and result.messages == []
    assert "PASSED" in capsys.readouterr().out
    assert check_inception_v1_module(module_3a(), verbose=False).passed


def test_pool_options_written_as_pairs_are_the_same():
    pool = nn.AvgPool2d((3, 3), stride=(1, 1), padding=(1, 1), count_include_pad=False)
    assert check_inception_a(inception_a(pool=pool), verbose=False).passed


INCEPTION_A_WRONG = {
    "skeleton: one branch": (lambda: inception_a(branches=1), "has 96 channels, expected 384"),
    "off-by-one width": (lambda: inception_a(width0=95), "has 383 channels"),
    "no padding on a 3x3": (lambda: inception_a(second_padding=0), "different grid sizes"),
    "stride 2 in a branch": (lambda: inception_a(stride=2), "different grid sizes"),
    "conv with bias, no BN": (lambda: inception_a(bn=False), "branch 0 has"),
    "branches swapped": (lambda: inception_a(order=(3, 2, 1, 0)), "right layers but in another order"),
    "count_include_pad": (lambda: inception_a(pool=nn.AvgPool2d(3, stride=1, padding=1)), "count_include_pad"),
    "max pool": (lambda: inception_a(pool=nn.MaxPool2d(3, stride=1, padding=1)), "the reference's is AvgPool2d"),
    "dropout in a branch": (lambda: inception_a(dropout=True), "in train mode your block computes something else (largest difference"),
    "train-only behaviour": (TrainOnlyScale, "only while training"),
    "ReLU before BN": (lambda: inception_a(unit=ReLUBeforeBN), "layer 1 (ReLUBeforeBN)"),
    "branches summed": (Summed, "has 96 channels"),
    "size typed in": (FixedSize, "nothing in it may depend on the batch size or grid size"),
    "the library's block": (lambda: InceptionA(384), "library's own implementation (InceptionA"),
    "a subclass of it": (lambda: SubclassA(384), "library's own implementation (InceptionA"),
    "a wrapper around it": (lambda: Wrapper(InceptionA(384)), "library's own implementation (InceptionA"),
    "library forward borrowed": (CallsLibraryForward, "library's own implementation (InceptionA"),
    "a class, not a block": (lambda: InceptionA, "you passed a class"),
    "a string": (lambda: "a string", "expected a torch.nn.Module"),
    "forward raises": (Broken, "RuntimeError: oops"),
}


@pytest.mark.parametrize("name", INCEPTION_A_WRONG)
def test_wrong_inception_a_fails_with_the_reason(name):
    build, expected = INCEPTION_A_WRONG[name]
    result = check_inception_a(build(), verbose=False)
    assert not result.passed
    assert expected in messages(result)
    if name == "dropout in a branch":
        assert "first in branch 1 (" in messages(result)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_missing_relu_is_located():
    block = inception_a()
    block.branches[0].act = nn.Identity()
    result = check_inception_a(block, verbose=False)
    assert not result.passed and "computes something else (largest" in messages(result)
    assert "first in branch 0" in messages(result)


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
