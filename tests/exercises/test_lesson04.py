"""Lesson 4's checkers (Inception-v4): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson04.py``)."""

import pytest
import torch
from torch import nn

from inception_course import create_model
from inception_course.exercises import (
    check_grid_reduction,
    check_inception_a,
    check_inception_v1_module,
    check_inception_v4,
    check_reduction_a,
)
from inception_course.models.inception_v4 import (
    REDUCTION_A_FILTERS,
    InceptionA,
    InceptionB,
    InceptionC,
    InceptionV4,
    ReductionA,
    ReductionB,
    Stem,
)
from inception_course.models.layers import InceptionBlock, scale_channels

from hand_built import (
    Network,
    clears_input,
    grid_reduction,
    inception_a,
    module_3a,
    reduction_a,
    square_only,
)


class ReLUBeforeBN(nn.Module):
    """Same parameters as ConvBNReLU, wrong order of operations."""

    def __init__(self, c_in, c_out, k, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3)

    def forward(self, x):
        return self.bn(torch.relu(self.conv(x)))


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


def v4(num_classes, width, depths, *, filters="inception_v4", rb_width=None, p=0.2, head="avg", swap=False,
       skip_rb=False, classes=None, same_input=False, features=None):
    stem = Stem(width=width)
    blocks_a = stage(InceptionA, stem.out_channels, depths[0], width)
    ra = ReductionA(blocks_a[-1].out_channels, *REDUCTION_A_FILTERS[filters], width=width)
    blocks_b = stage(InceptionB, ra.out_channels, depths[1], width)
    rb = ReductionB(blocks_b[-1].out_channels, rb_width or width)
    stages = [stem, *blocks_a, ra, *blocks_b] + ([] if skip_rb else [rb])
    blocks_c = stage(InceptionC, rb.out_channels, depths[2], width, same_input)
    stages += blocks_c
    if swap:
        stages[1], stages[1 + depths[0]] = stages[1 + depths[0]], stages[1]
    features = blocks_c[-1].out_channels if features is None else features(width)
    return Network(stages, features, classes or num_classes, p, head)


def stage(block, channels, depth, width, same_input=False):
    """``depth`` blocks, each given the output depth of the one before (``same_input``: the stage's input depth)."""
    blocks = []
    for _ in range(depth):
        blocks.append(block(channels, width))
        channels = channels if same_input else blocks[-1].out_channels
    return blocks


def test_v4_solution_passes():
    assert check_inception_v4(v4, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda k, w, d: v4(k, w, (1, 1, 1)), "parameters"),  # depths ignored
        (lambda k, w, d: v4(k, w, tuple(d)[::-1]), "parameters"),  # depths read backwards
        (lambda k, w, d: v4(k, w, d, rb_width=1.0), "parameters"),  # width forgotten in one block
        (lambda k, w, d: v4(k, w, d, filters="inception_resnet_v1"), "parameters"),  # wrong k, l, m, n
        (lambda k, w, d: v4(k, w, d, swap=True), "raised"),  # Reduction-A before the A blocks
        (lambda k, w, d: v4(k, w, d, skip_rb=True), "raised"),
        (lambda k, w, d: v4(k, w, d, p=0.0), "training mode"),
        (lambda k, w, d: v4(k, w, d, p=0.5), "training mode"),
        (lambda k, w, d: v4(k, w, d, head="late"), "training mode"),  # dropout after the classifier
        (lambda k, w, d: v4(k, w, d, head="max"), "other logits"),
        (lambda k, w, d: v4(k, w, d, head="relu"), "other logits"),
        (lambda k, w, d: v4(k, w, d, classes=1000), "expected logits"),
        (lambda k, w, d: create_model("inception_v4", num_classes=k, width=w, depths=d), "library's own"),
        (lambda k, w, d: InceptionV4(k, w, d), "library's own"),
        (v4(10, 0.125, (1, 1, 1)), "not a built network"),
        (lambda k, w: v4(k, w, (1, 1, 1)), "raised"),
    ],
)
def test_wrong_v4_fails(student, expected):
    result = check_inception_v4(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def test_solutions_pass():
    assert check_reduction_a(reduction_a, verbose=False).passed
    assert check_grid_reduction(grid_reduction, verbose=False).passed  # lesson 2's, built by the same helper


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n + 1), "channels"),  # off by one
        (lambda c, k, l, m, n: reduction_a(c, l, k, m, n), "parameters"),  # k and l swapped
        (lambda c, k, l, m, n: reduction_a(c, k, l, n, m), "parameters"),  # m and n swapped
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, order=(1, 0, 2)), "another order"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pool=nn.AvgPool2d(3, stride=2)), "AvgPool2d"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pool=nn.MaxPool2d(3, stride=2, padding=1)), "grid"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pad=0), "grid"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, stride=1), "grid"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, bn=False), "parameters"),
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, drop=True), "in train"),  # "in train(ing) mode": a dropout the reference lacks
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, reverse=True), "computes something else"),
        (lambda c, k, l, m, n: reduction_a(c, 24, 28, 32, 48), "with inception_resnet_v1"),  # typed-in numbers
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, order=(0, 1)), "channels"),  # the pool forgotten
        (ReductionA, "library's own implementation"),
        (reduction_a(48, 24, 28, 32, 48), "not a built module"),
        (lambda c, k, l, m, n: None, "should give a torch.nn.Module"),
    ],
)
def test_wrong_reduction_a_fails(student, expected):
    result = check_reduction_a(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


# Wrong answers that passed when every input had one size and one round width, inputs were not looked
# at after the call, and the library's layers re-wrapped counted as the student's.

class LibraryParts:
    """A lookup the authorship check does not read into (a dict of classes)."""

    classes = {"v4": InceptionV4, "reduction_a": ReductionA}


class ClampsInPlace(nn.Module):
    """Changes no value of a normal image, but changes its input in place."""

    def forward(self, x):
        return x.clamp_(-1e6, 1e6)


@pytest.mark.parametrize(
    "build, expected",
    [
        (square_only(inception_a), "(2, 384, 16, 10), in eval mode, your block raised"),
        (clears_input(inception_a), "changed its input in place (argument 1"),
        (lambda: InceptionBlock(list(InceptionA(384).branches)), "made of layers taken from the library's own InceptionA"),
    ],
)
def test_inception_a_wrong_answers_of_the_new_classes_fail(build, expected):
    result = check_inception_a(build(), verbose=False)
    assert not result.passed
    assert expected in messages(result)


def test_inception_a_handed_in_eval_mode_passes():
    assert check_inception_a(inception_a().eval(), verbose=False).passed


REDUCTION_A_LOOKUP = {48: (24, 28, 32, 48), 32: (24, 24, 32, 48), 40: (32, 32, 48, 48)}


class RewrappedReductionA(InceptionBlock):
    def __init__(self, *args):
        super().__init__(list(LibraryParts.classes["reduction_a"](*args).branches))


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda c, k, l, m, n: reduction_a(c, k, l, m, n, pool=nn.MaxPool2d(3, stride=2, ceil_mode=True)),
         "on an input of shape (1, 32, 18, 18)"),
        (lambda c, k, l, m, n: reduction_a(c, *REDUCTION_A_LOOKUP.get(c, (24, 28, 32, 48))), "with made-up numbers"),
        (RewrappedReductionA, "made of layers taken from the library's own ReductionA"),
    ],
)
def test_reduction_a_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_reduction_a(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def rewrapped_v4(num_classes, width, depths):
    library = LibraryParts.classes["v4"](num_classes, width, depths)
    stages = [library.stem, *library.blocks_a, library.reduction_a, *library.blocks_b, library.reduction_b,
              *library.blocks_c]
    return Network(stages, library.fc.in_features, num_classes)


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda k, w, d: v4(k, w, d, same_input=True), "give each block the out_channels of the block before it"),
        (lambda k, w, d: v4(k, w, d, features=lambda width: scale_channels(1536, width)), "raised RuntimeError: mat1"),
        (lambda k, w, d: v4(k, w, d, head="squeeze"), "on a single image (eval mode) your network returns (10,)"),
        (lambda k, w, d: nn.Sequential(ClampsInPlace(), v4(k, w, d)), "changed its input in place (argument 1"),
        (rewrapped_v4, "made of layers taken from the library's own InceptionV4"),
    ],
)
def test_v4_wrong_answers_of_the_new_classes_fail(student, expected):
    result = check_inception_v4(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
