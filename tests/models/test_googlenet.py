"""GoogLeNet: torchvision's network exactly (parameters, converted weights, outputs), the paper's
variant as the paper lists it, and the shared input checks."""

import pytest
import torch
from reference_models import disable_dropout_, parameter_count, randomize_
from torch import nn

from inception_course import create_model
from inception_course.models import convert_reference_state_dict
from inception_course.models.googlenet import TABLE_1, GoogLeNet

torchvision = pytest.importorskip("torchvision")


def torchvision_googlenet(aux_logits: bool) -> nn.Module:
    return torchvision.models.googlenet(aux_logits=aux_logits, transform_input=False, init_weights=False)


def converted(reference: nn.Module, aux_logits: bool) -> GoogLeNet:
    ours = create_model("googlenet", aux_logits=aux_logits)
    ours.load_state_dict(convert_reference_state_dict("googlenet", reference.state_dict()), strict=True)
    return ours.eval()


def test_parameter_count_equals_torchvision():
    ours = create_model("googlenet", aux_logits=False)
    assert parameter_count(ours) == 6_624_904 == parameter_count(torchvision_googlenet(aux_logits=False))
    assert parameter_count(create_model("googlenet")) == parameter_count(torchvision_googlenet(aux_logits=True))


def test_converted_torchvision_weights_give_the_same_outputs():
    reference = randomize_(torchvision_googlenet(aux_logits=True))
    ours = converted(reference, aux_logits=True)
    small = torch.randn(2, 3, 15, 15, generator=torch.Generator().manual_seed(0))  # the minimum size
    default = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(ours(small), reference(small), atol=1e-5, rtol=1e-5)
        features = ours.forward_features(default)
        assert features.shape == (1, 1024, 7, 7)  # paper Table 1: 7x7x1024 after inception (5b)
        torch.testing.assert_close(ours.forward_head(features), reference(default), atol=1e-5, rtol=1e-5)


def test_training_mode_returns_logits_then_aux_in_order_of_depth():
    reference = disable_dropout_(randomize_(torchvision_googlenet(aux_logits=True))).train()
    ours = disable_dropout_(converted(reference, aux_logits=True)).train()
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    logits, aux1, aux2 = ours(x)
    expected = reference(x)  # torchvision's namedtuple is (logits, aux_logits2, aux_logits1)
    torch.testing.assert_close(logits, expected.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(aux1, expected.aux_logits1, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(aux2, expected.aux_logits2, atol=1e-5, rtol=1e-5)


def test_without_aux_heads_torchvision_weights_load_and_training_returns_logits():
    reference = randomize_(torchvision_googlenet(aux_logits=False))
    ours = converted(reference, aux_logits=False)  # strict: no aux weights on either side
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), atol=1e-5, rtol=1e-5)
    out = ours.train()(x)
    assert isinstance(out, torch.Tensor) and out.shape == (2, 1000)


def test_paper_config_shapes_at_the_minimum_and_the_default_size():
    model = create_model("googlenet", config="paper", aux_logits=False).eval()
    with torch.no_grad():
        assert model.forward_features(torch.randn(1, 3, 31, 31)).shape == (1, 1024, 1, 1)
        with pytest.raises(ValueError, match="at least 31x31"):
            model(torch.randn(1, 3, 30, 30))
        assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)


def test_paper_config_is_the_2014_network():
    model = create_model("googlenet", config="paper")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in model.modules()) == 2
    assert model.dropout.p == 0.4
    for name, row in TABLE_1.items():
        five = getattr(model, f"inception{name}").branches[2][1].conv
        assert five.kernel_size == (5, 5) and five.out_channels == row.ch5x5
    reference = create_model("googlenet")
    assert reference.inception3a.branches[2][1].conv.kernel_size == (3, 3)  # torchvision's 3x3
    assert (model.pool4.kernel_size, model.pool4.stride) == (3, 2)  # Table 1's pool4; torchvision: 2x2/2
    aux = model.aux1
    assert isinstance(aux.pool, nn.AvgPool2d) and (aux.pool.kernel_size, aux.pool.stride) == (5, 3)
    assert (aux.conv.conv.out_channels, aux.fc1.out_features, aux.dropout.p) == (128, 1024, 0.7)


def test_paper_aux_heads_run_at_224_and_explain_other_sizes():
    model = create_model("googlenet", config="paper", num_classes=10, width=0.25).train()
    logits, aux1, aux2 = model(torch.randn(2, 3, 224, 224))
    assert logits.shape == aux1.shape == aux2.shape == (2, 10)
    with pytest.raises(ValueError, match="aux_logits=False"):
        model(torch.randn(2, 3, 128, 128))


@pytest.mark.parametrize("config", ["reference", "paper"])
def test_narrow_network_trains_a_step(config):
    model = create_model("googlenet", num_classes=5, config=config, width=0.25, in_chans=1).train()
    size = 224 if config == "paper" else 48  # the paper's aux heads fit 224-px images only
    logits, aux1, aux2 = model(torch.randn(2, 1, size, size))
    (logits.sum() + 0.3 * (aux1.sum() + aux2.sum())).backward()
    assert model.conv1.conv.weight.grad is not None
    assert parameter_count(model) < parameter_count(create_model("googlenet", num_classes=5, config=config)) / 8


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.randn(3, 224, 224), "4-D"),
        (torch.randn(1, 4, 224, 224), "3 input channels"),
        (torch.randint(0, 255, (1, 3, 224, 224), dtype=torch.uint8), "floating-point"),
        (torch.randn(1, 3, 14, 14), "at least 15x15"),
    ],
)
def test_bad_input_raises_a_clear_error(x, message):
    with pytest.raises(ValueError, match=message):
        create_model("googlenet", aux_logits=False, width=0.25).eval()(x)


def test_unknown_config_is_rejected():
    with pytest.raises(ValueError, match="config"):
        create_model("googlenet", config="v1")
