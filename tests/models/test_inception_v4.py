"""Inception-v4: the reference parameter count, equivalence with timm, the paper's shapes, options."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inception_course.models import convert_reference_state_dict, create_model
from inception_course.models.inception_v4 import REDUCTION_A_FILTERS, InceptionV4, ReductionA, Stem
from reference_models import assert_same_outputs, random_reference

STAGES = ("stem", "reduction_a", "reduction_b", "blocks_c")


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def stage_shapes(model: nn.Module, image_size: int, stages=STAGES) -> dict[str, tuple[int, int, int]]:
    """(H, W, C) after each named stage, as the paper writes shapes, from a real forward pass."""
    shapes = {}

    def record(name: str):
        return lambda module, inputs, out: shapes.__setitem__(name, (*out.shape[2:], out.shape[1]))

    hooks = [getattr(model, name).register_forward_hook(record(name)) for name in stages]
    with torch.no_grad():
        model.eval()(torch.randn(1, 3, image_size, image_size))
    for hook in hooks:
        hook.remove()
    return shapes


@pytest.fixture(scope="module")
def full_model() -> InceptionV4:
    return create_model("inception_v4").eval()


def test_parameter_count_equals_timm(full_model):
    assert n_params(full_model) == 42_679_816  # timm 1.0 inception_v4, 1000 classes


def test_outputs_equal_timm_after_conversion(full_model):
    reference = random_reference("inception_v4")
    assert n_params(reference) == n_params(full_model)
    full_model.load_state_dict(convert_reference_state_dict("inception_v4", reference.state_dict()), strict=True)
    for size in (75, 107):  # the minimum, and a size where every grid is larger than 1x1
        assert_same_outputs(reference, full_model, size)


def test_shapes_at_299_are_the_papers(full_model):
    assert stage_shapes(full_model, 299) == {
        "stem": (35, 35, 384), "reduction_a": (17, 17, 1024), "reduction_b": (8, 8, 1536), "blocks_c": (8, 8, 1536),
    }


def test_shapes_at_the_minimum_size(full_model):
    assert stage_shapes(full_model, 75) == {
        "stem": (7, 7, 384), "reduction_a": (3, 3, 1024), "reduction_b": (1, 1, 1536), "blocks_c": (1, 1, 1536),
    }


def test_75_px_is_the_true_minimum():
    """One pixel less and the grid vanishes in the last reduction: the check's 75 is no guess.
    (Grid sizes do not depend on the width, so a narrow model shows it cheaply.)"""
    model = create_model("inception_v4", width=0.25, depths=(0, 0, 0)).eval()
    with torch.no_grad():
        model.forward_features(torch.randn(1, 3, 75, 75))
        with pytest.raises(RuntimeError):
            model.forward_features(torch.randn(1, 3, 74, 74))
    assert model.min_image_size == 75


@pytest.mark.parametrize(
    "bad, words",
    [
        (torch.randn(1, 3, 74, 299), "at least 75x75"),
        (torch.randn(1, 1, 75, 75), "3 input channels"),
        (torch.zeros(1, 3, 75, 75, dtype=torch.uint8), "floating-point"),
        (torch.randn(3, 75, 75), "unsqueeze(0)"),
    ],
)
def test_bad_input_says_what_to_do(bad, words):
    model = create_model("inception_v4", width=0.25, depths=(0, 0, 0))
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        model(bad)


def test_paper_config_builds_the_same_network_as_the_reference():
    """The figures of Inception-v4 agree with the reference once the stem's missing stride is
    supplied (see the differences table), so both configs build identical modules."""
    paper = create_model("inception_v4", config="paper", width=0.25)
    reference = create_model("inception_v4", width=0.25)
    shapes = [{key: value.shape for key, value in m.state_dict().items()} for m in (paper, reference)]
    assert shapes[0] == shapes[1]


@pytest.mark.parametrize("network, in_channels, out_channels", [
    ("inception_v4", 384, 1024), ("inception_resnet_v1", 256, 896), ("inception_resnet_v2", 320, 1088),
])
def test_reduction_a_is_driven_by_the_papers_table(network, in_channels, out_channels):
    block = ReductionA(in_channels, *REDUCTION_A_FILTERS[network])
    k, l, m, n = REDUCTION_A_FILTERS[network]
    assert [c.out_channels for c in block.modules() if isinstance(c, nn.Conv2d)] == [n, k, l, m]
    assert block.out_channels == out_channels
    assert block(torch.randn(1, in_channels, 9, 9)).shape == (1, out_channels, 4, 4)


def test_stem_has_three_filter_concatenations():
    stem = Stem()
    assert [type(m).__name__ for m in stem.children()].count("InceptionBlock") == 3
    assert stem(torch.randn(1, 3, 75, 75)).shape[1] == stem.out_channels == 384


@pytest.mark.parametrize("size", [75, 107])
def test_small_version_trains_on_small_images(size):
    model = create_model("inception_v4", num_classes=10, width=0.25, depths=(1, 1, 1))
    assert n_params(model) < 3_000_000
    assert model.num_features == 384  # 1536 x 0.25
    logits = model.train()(torch.randn(2, 3, size, size))
    assert logits.shape == (2, 10)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_depths_and_width_change_the_network():
    model = create_model("inception_v4", width=0.5, depths=(2, 1, 0))
    assert (len(model.blocks_a), len(model.blocks_b), len(model.blocks_c)) == (2, 1, 0)
    assert model.stem.out_channels == 192 and model.reduction_a.out_channels == 512


@pytest.mark.parametrize(
    "options", [{"config": "figures"}, {"depths": (1, 1)}, {"depths": (1, -1, 1)}, {"width": 0}]
)
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        create_model("inception_v4", **options)
