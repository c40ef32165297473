"""check_residual_scaling: the library's block passes; each wrong forward pass is recognised."""

import pytest
import torch
from torch import nn

from inception_course.exercises import check_residual_scaling
from inception_course.models.layers import ResidualInceptionBlock


class Student(nn.Module):
    """The lesson's template; subclasses below override ``combine``."""

    def __init__(self, branches, concat_channels, out_channels, scale):
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.up = nn.Conv2d(concat_channels, out_channels, kernel_size=1)
        self.scale = scale

    def forward(self, x):
        return self.combine(x, self.up(torch.cat([branch(x) for branch in self.branches], dim=1)))

    def combine(self, x, residual):
        return torch.relu(x + self.scale * residual)


def variant(combine):
    return type("Variant", (Student,), {"combine": lambda self, x, r: combine(self, x, r)})


def test_correct_block_passes():
    result = check_residual_scaling(Student, verbose=False)
    assert result.passed, result.messages


class NoBiasUp(Student):
    def __init__(self, branches, concat_channels, out_channels, scale):
        super().__init__(branches, concat_channels, out_channels, scale)
        self.up = nn.Conv2d(concat_channels, out_channels, kernel_size=1, bias=False)


class WithDropout(Student):
    def __init__(self, branches, concat_channels, out_channels, scale):
        super().__init__(branches, concat_channels, out_channels, scale)
        self.drop = nn.Dropout(0.2)

    def combine(self, x, residual):
        return torch.relu(x + self.scale * self.drop(residual))


class Subclass(ResidualInceptionBlock):
    pass


class Wrapped(nn.Module):
    def __init__(self, branches, concat_channels, out_channels, scale):
        super().__init__()
        self.inner = ResidualInceptionBlock(branches, concat_channels, out_channels, scale)
        self.up = self.inner.up

    def forward(self, x):
        return self.inner(x)


@pytest.mark.parametrize(
    "student, expected",
    [
        (ResidualInceptionBlock, "library's own implementation (ResidualInceptionBlock"),
        (Subclass, "library's own implementation (ResidualInceptionBlock"),
        (Wrapped, "library's own implementation (ResidualInceptionBlock"),
        (NoBiasUp, "self.up has no bias"),
        (WithDropout, "matches in eval mode but not in training mode"),
        (lambda *args: torch.zeros(1), "should build a torch.nn.Module"),
        (lambda branches, c, o: None, "raised TypeError"),
        (42, "expected a class"),
    ],
)
def test_library_blocks_and_broken_constructors_are_refused(student, expected):
    result = check_residual_scaling(student, verbose=False)
    assert not result.passed
    assert expected in result.messages[0]
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


@pytest.mark.parametrize(
    "combine, expected",
    [
        (lambda self, x, r: torch.relu(x + r), "the residual is not scaled"),
        (lambda self, x, r: torch.relu(self.scale * (x + r)), "you scaled the whole sum"),
        (lambda self, x, r: x + self.scale * r, "ReLU after the addition is missing"),
        (lambda self, x, r: torch.relu(self.scale * r), "the shortcut is missing"),
        (lambda self, x, r: x + torch.relu(self.scale * r), "ReLU is applied before the addition"),
        (lambda self, x, r: torch.relu(x + 0.17 * r), "use self.scale, not a fixed number"),
        (lambda self, x, r: torch.relu(x - self.scale * r), "differs from relu(x + scale"),
        (lambda self, x, r: torch.relu(x + self.scale * torch.relu(r)), "differs from relu(x + scale"),
        (lambda self, x, r: torch.relu(x + (1 - self.scale) * r), "differs from relu(x + scale"),
    ],
)
def test_wrong_forward_passes_are_named(combine, expected):
    result = check_residual_scaling(variant(combine), verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


def test_template_as_shipped_is_not_yet_done():
    class Template(Student):
        def forward(self, x):
            return torch.cat([branch(x) for branch in self.branches], dim=1)

    result = check_residual_scaling(Template, verbose=False)
    assert not result.passed and "concatenated branches only" in result.messages[0]


def test_batch_norm_after_the_addition_is_refused():
    class WithBN(Student):
        def __init__(self, branches, concat_channels, out_channels, scale):
            super().__init__(branches, concat_channels, out_channels, scale)
            self.bn = nn.BatchNorm2d(out_channels)

        def combine(self, x, residual):
            return torch.relu(self.bn(x + self.scale * residual))

    result = check_residual_scaling(WithBN, verbose=False)
    assert not result.passed and "batch norm outside the branches" in result.messages[0]


def test_missing_expansion_and_instances_are_explained():
    class NoUp(Student):
        def __init__(self, branches, concat_channels, out_channels, scale):
            super().__init__(branches, concat_channels, out_channels, scale)
            del self.up

    assert "filter expansion" in check_residual_scaling(NoUp, verbose=False).messages[0]
    built = Student([nn.Identity()], 320, 320, 0.2)
    assert "not a built block" in check_residual_scaling(built, verbose=False).messages[0]
