"""Lesson 5's checkers (the Inception-ResNets): right answers pass, and each class of wrong answer fails with
its reason (mirrors ``inception_course/exercises/lesson05.py``)."""

import pytest
import torch
from torch import nn

from inception_course import create_model
from inception_course.exercises import (
    check_inception_resnet_b,
    check_inception_resnet_v1,
    check_residual_scaling,
)
from inception_course.models import inception_resnet as ir
from inception_course.models.inception_v4 import (
    REDUCTION_A_FILTERS,
    ReductionA,
)
from inception_course.models.layers import ConvBNReLU, ResidualInceptionBlock

from hand_built import Network


def ir_v1(num_classes, width, depths, *, scales=ir.RESIDUAL_SCALES, ra="inception_resnet_v1", a_filters="inception_resnet_v1",
          stem=None, last_linear=False, p=0.2, head="avg", rb="inception_resnet_v1"):
    stem = stem(width=width) if stem else ir.StemV1(width=width)
    c = stem.out_channels
    blocks_a = [ir.InceptionResNetA(c, ir.RESNET_A_FILTERS[a_filters], scales[0], width) for _ in range(depths[0])]
    reduction_a = ReductionA(c, *REDUCTION_A_FILTERS[ra], width=width)
    c = reduction_a.out_channels
    blocks_b = [ir.InceptionResNetB(c, ir.RESNET_B_FILTERS["inception_resnet_v1"], scales[1], width) for _ in range(depths[1])]
    reduction_b = ir.InceptionResNetReductionB(c, ir.REDUCTION_B_FILTERS[rb], width)
    c = reduction_b.out_channels
    blocks_c = [ir.InceptionResNetC(c, ir.RESNET_C_FILTERS["inception_resnet_v1"], scales[2], width) for _ in range(depths[2])]
    if last_linear:
        blocks_c[-1].act = nn.Identity()
    return Network([stem, *blocks_a, reduction_a, *blocks_b, reduction_b, *blocks_c], c, num_classes, p, head)


def test_ir_v1_solution_passes():
    assert check_inception_resnet_v1(ir_v1, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda k, w, d: ir_v1(k, w, d, scales=(1.0, 1.0, 1.0)), "residual scales"),
        (lambda k, w, d: ir_v1(k, w, d, scales=(0.2, 0.1, 0.17)), "other logits"),
        (lambda k, w, d: ir_v1(k, w, d, scales=(0.1, 0.1, 0.1)), "other logits"),
        (lambda k, w, d: ir_v1(k, w, d, ra="inception_v4"), "parameters"),
        (lambda k, w, d: ir_v1(k, w, d, a_filters="inception_resnet_v2"), "parameters"),
        (lambda k, w, d: ir_v1(k, w, d, rb="inception_resnet_v2"), "parameters"),
        (lambda k, w, d: ir_v1(k, w, d, stem=ir.ReferenceStemV2), "library's own"),  # not one of the allowed blocks
        (lambda k, w, d: ir_v1(k, w, (d[0], d[1], 1)), "parameters"),
        (lambda k, w, d: ir_v1(k, w, d, last_linear=True), "other logits"),
        (lambda k, w, d: ir_v1(k, w, d, p=0.0), "training mode"),
        (lambda k, w, d: ir_v1(k, w, d, head="max"), "other logits"),
        (lambda k, w, d: ir_v1(k, w, tuple(d)[::-1]), "parameters"),  # depths read backwards
        (lambda k, w, d: create_model("inception_resnet_v1", num_classes=k, width=w, depths=d), "library's own"),
        (lambda k, w, d: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_wrong_ir_v1_fails(student, expected):
    result = check_inception_resnet_v1(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


def ir_b(*, widths=(128, 128, 128, 128), kernels=((1, 7), (7, 1)), scale=0.1, order=(0, 1), bn=True, up_bias=True,
         drop=False, activate=True):
    paddings = [(k[0] // 2, k[1] // 2) for k in kernels]
    tower = [ConvBNReLU(896, widths[1], 1), ConvBNReLU(widths[1], widths[2], kernels[0], padding=paddings[0], bn=bn),
             ConvBNReLU(widths[2], widths[3], kernels[1], padding=paddings[1])]
    if drop:
        tower.insert(1, nn.Dropout(0.1))
    branches = [ConvBNReLU(896, widths[0], 1), nn.Sequential(*tower)]
    block = ResidualInceptionBlock([branches[i] for i in order], widths[0] + widths[3], 896, scale, activate)
    if not up_bias:
        block.up = nn.Conv2d(widths[0] + widths[3], 896, 1, bias=False)
    return block


class Mutating(nn.Module):
    """The right block, but it zeroes its input after use."""

    def __init__(self):
        super().__init__()
        self.block = ir_b()

    def forward(self, x):
        out = self.block(x)
        x.zero_()
        return out


class SeventeenOnly(Mutating):
    def forward(self, x):
        return self.block(x.reshape(-1, 896, 17, 17))


def test_ir_b_solution_passes():
    assert check_inception_resnet_b(ir_b(), verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (ir_b(scale=1.0), "computes something else"),
        (ir_b(scale=0.17), "computes something else"),
        (ir_b(kernels=((7, 1), (1, 7))), "cannot be copied"),
        (ir_b(order=(1, 0)), "cannot be copied"),
        (ir_b(widths=(128, 128, 160, 192)), "parameters"),
        (ir_b(widths=(129, 128, 128, 128)), "parameters"),
        (ir_b(bn=False), "parameters"),
        (ir_b(up_bias=False), "parameters"),
        (ir_b(drop=True), "training mode"),
        (ir_b(activate=False), "computes something else"),
        (ir_b(kernels=((1, 5), (5, 1))), "parameters"),
        (ir.InceptionResNetB(896, ir.RESNET_B_FILTERS["inception_resnet_v1"], 0.1), "library's own"),
        (ir_b, "pass your block, built"),
        (Mutating(), "changed its input x in place"),
        (SeventeenOnly(), "(3, 896, 8, 8) raised"),
    ],
)
def test_wrong_ir_b_fails(student, expected):
    result = check_inception_resnet_b(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)


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
        (lambda self, x, r: torch.relu(x + abs(self.scale) * r), "scale=-0.2"),  # right for positive scales only
        (lambda self, x, r: torch.relu(x + max(self.scale, 0.1) * r), "scale=0.01"),  # a scale clamped to the paper's range
        (lambda self, x, r: torch.relu(x.add_(self.scale * r)), "changed its input x in place"),
    ],
)
def test_wrong_forward_passes_are_named(combine, expected):
    result = check_residual_scaling(variant(combine), verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
    assert "checking stopped" not in " ".join(result.messages)  # a specific message, not the guard's


class TypedWidth(Student):
    """The expansion built for IR-v2's 320 channels whatever out_channels says."""

    def __init__(self, branches, concat_channels, out_channels, scale):
        super().__init__(branches, concat_channels, out_channels, scale)
        self.up = nn.Conv2d(concat_channels, 320, kernel_size=1)


def test_a_width_typed_in_fails():
    result = check_residual_scaling(TypedWidth, verbose=False)
    assert not result.passed and "from 128 to 37 channels" in " ".join(result.messages)


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


def test_untouched_names_what_was_changed_in_place():
    from inception_course.exercises.checking.inputs import Untouched

    x, layer, weights = torch.ones(3), nn.Linear(2, 2).eval(), {"w": torch.zeros(2), "n": torch.tensor(1)}
    kept = Untouched(x=x, layer=layer, weights=weights, values=[0.5, 0.25])
    assert kept.changed() == []
    layer.train()
    weights["w"][0] = 1.0
    assert kept.changed() == ["layer", "weights"]  # a module's mode counts, and a dict's tensors
    kept = Untouched(values=[0.5, 0.25], x=x)
    kept.inputs["values"].pop()
    x.add_(0)  # the same numbers, but written in place: a slip that other inputs would show
    assert kept.changed() == ["values", "x"]
