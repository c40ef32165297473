"""check_inception_v4, check_inception_resnet_v1 and check_inception_resnet_b: the solutions pass;
wrong assemblies (depths, widths, k/l/m/n, scales, stage order, head, dropout) and the library's own
network fail, and nothing raises."""

import pytest
import torch
from torch import nn

from inception_course import create_model
from inception_course.exercises import check_inception_resnet_b, check_inception_resnet_v1, check_inception_v4
from inception_course.models import inception_resnet as ir
from inception_course.models.inception_v4 import (
    REDUCTION_A_FILTERS, InceptionA, InceptionB, InceptionC, InceptionV4, ReductionA, ReductionB, Stem,
)
from inception_course.models.layers import ConvBNReLU, ResidualInceptionBlock


class Network(nn.Module):
    """Stages in order, then global average pool -> dropout -> fc (``head`` changes the head)."""

    def __init__(self, stages, features, num_classes, p=0.2, head="avg"):
        super().__init__()
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(p)
        self.fc = nn.Linear(features, num_classes)
        self.head = head

    def forward(self, x):
        x = self.stages(x)
        if self.head == "max":
            x = x.amax((2, 3))
        elif self.head == "relu":
            x = torch.relu(x.mean((2, 3)) - 0.1)
        else:
            x = x.mean((2, 3))
        if self.head == "late":
            return self.dropout(self.fc(x))
        return self.fc(self.dropout(x))


def v4(num_classes, width, depths, *, filters="inception_v4", rb_width=None, p=0.2, head="avg", swap=False,
       skip_rb=False, classes=None):
    stem = Stem(width=width)
    c = stem.out_channels
    ra = ReductionA(c, *REDUCTION_A_FILTERS[filters], width=width)
    rb = ReductionB(ra.out_channels, rb_width or width)
    blocks_a = [InceptionA(c, width) for _ in range(depths[0])]
    blocks_b = [InceptionB(ra.out_channels, width) for _ in range(depths[1])]
    stages = [stem, *blocks_a, ra, *blocks_b] + ([] if skip_rb else [rb])
    stages += [InceptionC(rb.out_channels, width) for _ in range(depths[2])]
    if swap:
        stages[1], stages[1 + depths[0]] = stages[1 + depths[0]], stages[1]
    return Network(stages, rb.out_channels, classes or num_classes, p, head)


def test_v4_solution_passes():
    assert check_inception_v4(v4, verbose=False).passed


@pytest.mark.parametrize(
    "student, expected",
    [
        (lambda k, w, d: v4(k, w, (1, 1, 1)), "parameters"),  # depths ignored
        (lambda k, w, d: v4(k, w, d, rb_width=1.0), "raised"),  # width forgotten in one block
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
    ],
)
def test_wrong_ir_b_fails(student, expected):
    result = check_inception_resnet_b(student, verbose=False)
    assert not result.passed
    assert expected in " ".join(result.messages)
