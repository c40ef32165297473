"""Inception-v3: torchvision's and timm's network exactly (parameters, converted weights, outputs),
the v3 paper's grid sizes, the auxiliary head, and the shared input checks."""

import pytest
import torch
from reference_models import disable_dropout_, parameter_count, randomize_
from torch import nn

from inception_course import create_model
from inception_course.models import convert_reference_state_dict
from inception_course.models.inception_v3 import InceptionV3

torchvision = pytest.importorskip("torchvision")


def reference_v3(source: str, aux_logits: bool = True) -> nn.Module:
    if source == "timm":
        timm = pytest.importorskip("timm")
        return timm.create_model("inception_v3", aux_logits=aux_logits)
    return torchvision.models.inception_v3(aux_logits=aux_logits, transform_input=False, init_weights=False)


def converted(reference: nn.Module, source: str, aux_logits: bool = True) -> InceptionV3:
    ours = create_model("inception_v3", aux_logits=aux_logits)
    state_dict = convert_reference_state_dict("inception_v3", reference.state_dict(), source=source)
    ours.load_state_dict(state_dict, strict=True)
    return ours.eval()


def test_parameter_count_equals_torchvision_and_timm():
    ours = create_model("inception_v3", aux_logits=False)
    assert parameter_count(ours) == 23_834_568 == parameter_count(reference_v3("torchvision", aux_logits=False))
    assert parameter_count(ours) == parameter_count(reference_v3("timm", aux_logits=False))
    assert parameter_count(create_model("inception_v3")) == parameter_count(reference_v3("torchvision"))


@pytest.mark.parametrize("source", ["torchvision", "timm"])
def test_converted_weights_give_the_same_outputs(source):
    reference = randomize_(reference_v3(source, aux_logits=False))
    ours = converted(reference, source, aux_logits=False)
    small = torch.randn(2, 3, 75, 75, generator=torch.Generator().manual_seed(0))  # the minimum size
    default = torch.randn(1, 3, 299, 299, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(ours(small), reference(small), atol=1e-5, rtol=1e-5)
        features = ours.forward_features(default)
        assert features.shape == (1, 2048, 8, 8)
        torch.testing.assert_close(ours.forward_head(features), reference(default), atol=1e-5, rtol=1e-5)
        if source == "timm":
            torch.testing.assert_close(features, reference.forward_features(default), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("source", ["torchvision", "timm"])
def test_training_mode_returns_logits_and_aux_like_the_reference(source):
    reference = disable_dropout_(randomize_(reference_v3(source))).train()
    ours = disable_dropout_(converted(reference, source)).train()
    x = torch.randn(2, 3, 299, 299, generator=torch.Generator().manual_seed(2))
    logits, aux = ours(x)
    expected_logits, expected_aux = reference(x)
    torch.testing.assert_close(logits, expected_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(aux, expected_aux, atol=1e-5, rtol=1e-5)


def test_grid_sizes_of_the_v3_paper_table():
    model = create_model("inception_v3", aux_logits=False).eval()
    shapes = {}
    for name in ("stem", "inception_a", "reduction_a", "inception_b", "reduction_b", "inception_c"):
        getattr(model, name).register_forward_hook(lambda m, i, out, name=name: shapes.__setitem__(name, out.shape[1:]))
    with torch.no_grad():
        model.forward_features(torch.randn(1, 3, 299, 299))
    assert shapes == {  # v3 paper Table 1, input size of each row (C x H x W)
        "stem": (192, 35, 35),
        "inception_a": (288, 35, 35),
        "reduction_a": (768, 17, 17),
        "inception_b": (768, 17, 17),
        "reduction_b": (1280, 8, 8),
        "inception_c": (2048, 8, 8),
    }
    assert (len(model.inception_a), len(model.inception_b), len(model.inception_c)) == (3, 4, 2)


def test_minimum_size_gives_a_1x1_map_and_one_pixel_less_is_refused():
    model = create_model("inception_v3", aux_logits=False, width=0.25).eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 75, 75)).shape == (1, 512, 1, 1)
    with pytest.raises(ValueError, match="at least 75x75"):
        model(torch.randn(1, 3, 74, 74))


def test_aux_head_in_training_explains_its_minimum_size():
    model = create_model("inception_v3", num_classes=10, width=0.25).train()
    with pytest.raises(ValueError, match="aux_logits=False"):
        model(torch.randn(2, 3, 160, 160))
    no_aux = create_model("inception_v3", num_classes=10, width=0.25, aux_logits=False).train()
    assert no_aux.aux is None and not any(key.startswith("aux") for key in no_aux.state_dict())
    out = no_aux(torch.randn(2, 3, 96, 96))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 10)


def test_narrow_network_trains_a_step_with_its_aux_head():
    model = create_model("inception_v3", num_classes=5, width=0.25, in_chans=1).train()
    logits, aux = model(torch.randn(2, 1, 299, 299))
    assert logits.shape == aux.shape == (2, 5)
    (logits.sum() + 0.4 * aux.sum()).backward()
    assert model.stem.conv1a.conv.weight.grad is not None


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.randn(3, 299, 299), "4-D"),
        (torch.randn(1, 1, 299, 299), "3 input channels"),
        (torch.zeros(1, 3, 299, 299, dtype=torch.int64), "floating-point"),
        (torch.randn(1, 3, 74, 299), "at least 75x75"),
    ],
)
def test_bad_input_raises_a_clear_error(x, message):
    with pytest.raises(ValueError, match=message):
        create_model("inception_v3", aux_logits=False, width=0.25).eval()(x)


def test_there_is_no_paper_config():
    with pytest.raises(ValueError, match="reference"):
        create_model("inception_v3", config="paper")


@pytest.mark.parametrize("depths", [(1, 1, 1), (2, 1, 1), (4, 5, 3)])
def test_depths_shorten_or_lengthen_each_grid_and_chain_real_channels(depths):
    model = create_model("inception_v3", num_classes=10, width=0.125, depths=depths, aux_logits=False).eval()
    assert (len(model.inception_a), len(model.inception_b), len(model.inception_c)) == depths
    assert model(torch.randn(2, 3, 75, 75)).shape == (2, 10)


def test_the_default_depths_are_the_reference_network():
    assert len(create_model("inception_v3").inception_b) == 4
    assert sum(p.numel() for p in create_model("inception_v3", depths=(3, 4, 2)).parameters()) == \
        sum(p.numel() for p in create_model("inception_v3").parameters())


@pytest.mark.parametrize("depths, message", [((0, 1, 1), "at least one module"), ((1, 1), "three depths")])
def test_bad_depths_are_refused(depths, message):
    with pytest.raises(ValueError, match=message):
        create_model("inception_v3", depths=depths)
