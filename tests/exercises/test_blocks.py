"""check_inception_v1_module and check_inception_a: the library's own block passes; typical
student mistakes fail with a message that names the mistake."""

import pytest
import torch
from torch import nn

from inception_course.exercises import check_inception_a, check_inception_v1_module
from inception_course.models.googlenet import TABLE_1, InceptionModule
from inception_course.models.inception_v4 import InceptionA
from inception_course.models.layers import ConvBNReLU, InceptionBlock


def inception_a(pool=None, order=(0, 1, 2, 3), second_padding=1, bn=True, branches=4):
    """An Inception-A built by hand, with one mistake switched on by the arguments."""
    c = 384
    pool = pool or nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    built = [
        ConvBNReLU(c, 96, 1, bn=bn),
        nn.Sequential(ConvBNReLU(c, 64, 1), ConvBNReLU(64, 96, 3, padding=second_padding)),
        nn.Sequential(ConvBNReLU(c, 64, 1), ConvBNReLU(64, 96, 3, padding=1), ConvBNReLU(96, 96, 3, padding=1)),
        nn.Sequential(pool, ConvBNReLU(c, 96, 1)),
    ]
    return InceptionBlock([built[i] for i in order][:branches])


def messages(result):
    return " ".join(result.messages)


def test_library_blocks_pass():
    assert check_inception_a(InceptionA(384), verbose=False).passed
    assert check_inception_v1_module(InceptionModule(192, *TABLE_1["3a"]), verbose=False).passed


def test_hand_built_inception_a_passes_and_summary_says_so(capsys):
    result = check_inception_a(inception_a())
    assert result.passed and result.messages == []
    assert "PASSED" in capsys.readouterr().out


@pytest.mark.parametrize(
    "student, expected",
    [
        (inception_a(branches=1), "has 96 channels, expected 384"),
        (inception_a(second_padding=0), "different grid sizes"),
        (inception_a(bn=False), "parameters, the reference"),
        (inception_a(order=(3, 2, 1, 0)), "right layers but in another order"),
        (inception_a(pool=nn.AvgPool2d(3, stride=1, padding=1)), "count_include_pad"),
        (inception_a(pool=nn.MaxPool2d(3, stride=1, padding=1)), "the reference's is AvgPool2d"),
        (InceptionA, "you passed a class"),
        ("a string", "expected a torch.nn.Module"),
    ],
)
def test_wrong_inception_a_fails_with_the_reason(student, expected):
    result = check_inception_a(student, verbose=False)
    assert not result.passed
    assert expected in messages(result)


def test_same_layers_but_wrong_computation_is_caught():
    class NoReLU(nn.Module):  # same parameters, but the first branch forgets its ReLU
        def __init__(self):
            super().__init__()
            self.block = inception_a()
            self.block.branches[0].act = nn.Identity()

        def forward(self, x):
            return self.block(x)

    result = check_inception_a(NoReLU(), verbose=False)
    assert not result.passed and "computes something else" in messages(result)


def test_errors_in_student_code_become_messages():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("oops")

    result = check_inception_v1_module(Broken(), verbose=False)
    assert not result.passed and "RuntimeError: oops" in messages(result)


def test_v1_module_as_the_paper_or_with_batch_norm_passes_but_not_a_mix():
    paper = InceptionModule(192, *TABLE_1["3a"], bn=False)
    result = check_inception_v1_module(paper, verbose=False)
    assert result.passed and not any("batch norm" in c for c in result.checks)
    with_bn = check_inception_v1_module(InceptionModule(192, *TABLE_1["3a"]), verbose=False)
    assert with_bn.passed and "the 2014 paper had none" in with_bn.checks[0]
    mixed = InceptionModule(192, *TABLE_1["3a"], bn=False)
    mixed.branches[0] = InceptionModule(192, *TABLE_1["3a"]).branches[0]  # one branch with BN
    assert not check_inception_v1_module(mixed, verbose=False).passed


def test_v1_module_with_3x3_instead_of_5x5_fails():
    row = TABLE_1["3a"]
    torchvision_style = InceptionModule(192, *row, kernel_5x5=3)
    result = check_inception_v1_module(torchvision_style, verbose=False)
    assert not result.passed and "parameters" in messages(result)


def test_checker_is_repeatable():
    torch.manual_seed(0)
    first = check_inception_v1_module(InceptionModule(192, *TABLE_1["3a"]), verbose=False)
    second = check_inception_v1_module(InceptionModule(192, *TABLE_1["3a"]), verbose=False)
    assert first.passed and second.passed and first.checks == second.checks


def test_pool_options_written_as_pairs_are_the_same():
    pool = nn.AvgPool2d((3, 3), stride=(1, 1), padding=(1, 1), count_include_pad=False)
    assert check_inception_a(inception_a(pool=pool), verbose=False).passed
