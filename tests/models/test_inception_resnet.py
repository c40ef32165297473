"""Inception-ResNet-v1 and -v2: parameter counts, equivalence with timm's IR-v2, the paper's shapes,
the residual blocks' behaviour, and the small versions."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inception_course.models import convert_reference_state_dict, create_model
from inception_course.models.inception_resnet import (
    RESNET_A_FILTERS,
    InceptionResNetA,
    InceptionResNetV1,
    InceptionResNetV2,
)
from test_inception_v4 import n_params, stage_shapes
from reference_models import assert_same_outputs, random_reference

STAGES = ("stem", "reduction_a", "reduction_b", "blocks_c", "final_conv")


@pytest.fixture(scope="module")
def v1() -> InceptionResNetV1:
    return create_model("inception_resnet_v1").eval()


@pytest.fixture(scope="module")
def v2() -> InceptionResNetV2:
    return create_model("inception_resnet_v2").eval()


def figure_count_v1() -> int:
    """Parameters of IR-v1 counted from the paper's figures alone, without the library's modules.

    Each conv-BN-ReLU has kh*kw*in*out weights and 2*out BN parameters (beta, gamma); each residual
    block's linear 1x1 expansion has in*out weights and out biases. Filter counts: Fig. 14 (stem),
    Figs. 10, 11, 13 (A, B, C, repeated 5/10/5 as in Fig. 15), Table 1 (Reduction-A: 192, 192,
    256, 384) and Fig. 12 (Reduction-B); then a 1792 -> 1000 classifier.
    """

    def convs(*layers: tuple[int, int, int]) -> int:  # (kernel area, in, out)
        return sum(area * c_in * c_out + 2 * c_out for area, c_in, c_out in layers)

    def expansion(c_in: int, c_out: int) -> int:
        return c_in * c_out + c_out

    stem = convs((9, 3, 32), (9, 32, 32), (9, 32, 64), (1, 64, 80), (9, 80, 192), (9, 192, 256))
    block_a = convs((1, 256, 32), (1, 256, 32), (9, 32, 32), (1, 256, 32), (9, 32, 32), (9, 32, 32))
    block_a += expansion(96, 256)
    reduction_a = convs((9, 256, 384), (1, 256, 192), (9, 192, 192), (9, 192, 256))
    block_b = convs((1, 896, 128), (1, 896, 128), (7, 128, 128), (7, 128, 128)) + expansion(256, 896)
    reduction_b = convs((1, 896, 256), (9, 256, 384), (1, 896, 256), (9, 256, 256))
    reduction_b += convs((1, 896, 256), (9, 256, 256), (9, 256, 256))
    block_c = convs((1, 1792, 192), (1, 1792, 192), (3, 192, 192), (3, 192, 192)) + expansion(384, 1792)
    classifier = 1792 * 1000 + 1000
    return stem + 5 * block_a + reduction_a + 10 * block_b + reduction_b + 5 * block_c + classifier


def test_v1_parameter_count(v1):
    # About 22.8M, as the independent count of the figures says: most of it sits in the
    # 8x8 stage (5 C blocks of ~0.8M, 2 of them in their 384 -> 1792 expansion) and the 17x17
    # stage (10 B blocks of ~0.46M), plus a 1.8M classifier.
    assert n_params(v1) == 22_756_328 == figure_count_v1()


def test_v2_parameter_count_equals_timm(v2):
    assert n_params(v2) == 55_843_464  # timm 1.0 inception_resnet_v2, 1000 classes


def test_v2_outputs_equal_timm_after_conversion(v2):
    reference = random_reference("inception_resnet_v2")
    v2.load_state_dict(convert_reference_state_dict("inception_resnet_v2", reference.state_dict()), strict=True)
    for size in (75, 107):
        assert_same_outputs(reference, v2, size)


def test_v1_shapes_are_the_papers(v1):
    assert stage_shapes(v1, 299, STAGES) == {
        "stem": (35, 35, 256), "reduction_a": (17, 17, 896), "reduction_b": (8, 8, 1792),
        "blocks_c": (8, 8, 1792), "final_conv": (8, 8, 1792),
    }
    assert stage_shapes(v1, 75, STAGES)["reduction_b"] == (1, 1, 1792)


def test_v2_reference_shapes(v2):
    assert stage_shapes(v2, 299, STAGES) == {
        "stem": (35, 35, 320), "reduction_a": (17, 17, 1088), "reduction_b": (8, 8, 2080),
        "blocks_c": (8, 8, 2080), "final_conv": (8, 8, 1536),
    }
    assert stage_shapes(v2, 75, STAGES)["final_conv"] == (1, 1, 1536)


def test_v2_paper_shapes():
    """Grid sizes do not depend on the width; channels scale with it (x0.25 here)."""
    model = create_model("inception_resnet_v2", config="paper", width=0.25, depths=(1, 1, 1))
    assert stage_shapes(model, 299, STAGES) == {
        "stem": (35, 35, 96), "reduction_a": (17, 17, 288), "reduction_b": (8, 8, 536),
        "blocks_c": (8, 8, 536), "final_conv": (8, 8, 536),
    }


@pytest.mark.parametrize("name", ["inception_resnet_v1", "inception_resnet_v2"])
@pytest.mark.parametrize("config", ["reference", "paper"])
def test_75_px_is_the_true_minimum(name, config):
    model = create_model(name, config=config, width=0.25, depths=(0, 0, 0)).eval()
    with torch.no_grad():
        model.forward_features(torch.randn(1, 3, 75, 75))
        with pytest.raises(RuntimeError):
            model.forward_features(torch.randn(1, 3, 74, 74))
    with pytest.raises(ValueError, match="at least 75x75"):
        model(torch.randn(1, 3, 74, 74))


def test_residual_block_is_a_scaled_sum_without_batch_norm():
    torch.manual_seed(0)
    block = InceptionResNetA(64, RESNET_A_FILTERS["inception_resnet_v2"], scale=0.17, width=0.5).eval()
    x = torch.randn(1, 64, 9, 9)
    with torch.no_grad():
        branches = torch.cat([b(x) for b in block.branches], dim=1)
        assert branches.shape[1] == 64  # (32 + 32 + 64) x 0.5
        torch.testing.assert_close(block(x), torch.relu(x + 0.17 * block.up(branches)))
        nn.init.zeros_(block.up.weight)
        nn.init.zeros_(block.up.bias)
        torch.testing.assert_close(block(x), torch.relu(x))  # a zero residual leaves only the shortcut
    assert block.up.bias is not None and block.up.out_channels == 64  # linear expansion to the input depth


def test_residual_scale_option():
    scales = lambda m: [b.scale for b in (*m.blocks_a, *m.blocks_b, *m.blocks_c)]  # noqa: E731
    default = create_model("inception_resnet_v1", width=0.25, depths=(1, 1, 1))
    assert scales(default) == [0.17, 0.10, 0.20]
    assert scales(create_model("inception_resnet_v1", width=0.25, depths=(1, 1, 1), residual_scale=0.3)) == [0.3] * 3
    custom = create_model("inception_resnet_v2", width=0.25, depths=(1, 1, 2), residual_scale=(0.1, 0.2, 0.3))
    assert scales(custom) == [0.1, 0.2, 0.3, 1.0]  # the reference's last C block stays unscaled
    assert isinstance(custom.blocks_c[-1].act, nn.Identity) and isinstance(custom.blocks_c[0].act, nn.ReLU)
    for bad in (-0.1, (0.1, 0.2), "0.1"):
        with pytest.raises(ValueError, match="residual_scale"):
            create_model("inception_resnet_v2", width=0.25, residual_scale=bad)


@pytest.mark.parametrize("name, config", [
    ("inception_resnet_v1", "reference"), ("inception_resnet_v2", "reference"), ("inception_resnet_v2", "paper"),
])
@pytest.mark.parametrize("size", [75, 107])
def test_small_versions_train_on_small_images(name, config, size):
    model = create_model(name, num_classes=10, config=config, width=0.25, depths=(1, 1, 1))
    assert n_params(model) < 2_000_000
    logits = model.train()(torch.randn(2, 3, size, size))
    assert logits.shape == (2, 10)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("options", [{"config": "facenet"}, {"depths": (5, 10)}, {"width": -1.0}])
def test_bad_options_are_refused(options):
    for name in ("inception_resnet_v1", "inception_resnet_v2"):
        with pytest.raises(ValueError):
            create_model(name, **options)
