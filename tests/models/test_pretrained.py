"""``create_model(name, pretrained=True)`` without a network: fake fetches, files on disk, offline errors."""

from __future__ import annotations

import socket

import pytest
import torch
import torchvision
from reference_models import randomize_

from inception_course import create_model
from inception_course.models import convert_reference_state_dict
from inception_course.models import pretrained
from inception_course.models.pretrained import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    WeightsUnavailableError,
    load_pretrained,
    published_weights,
    to_model_input,
)


def random_torchvision_googlenet() -> torch.nn.Module:
    """torchvision's GoogLeNet as its published checkpoint is saved: aux heads, random weights."""
    torch.manual_seed(0)
    model = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False, transform_input=False)
    return randomize_(model)


def assert_same_logits(reference: torch.nn.Module, ours: torch.nn.Module, size: int = 96) -> None:
    """Same logits on a small random batch (small: a 299-px forward is slow on a shared CPU)."""
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = reference.eval()(x)
        assert expected.std() > 0.1  # random BN statistics: a wrong mapping would change these
        torch.testing.assert_close(ours.eval()(x), expected, atol=1e-4, rtol=1e-4)


def test_torchvision_weights_load_through_the_converter():
    reference = random_torchvision_googlenet()
    calls = []

    def fake_fetch(spec):
        calls.append(spec.id)
        return reference.state_dict()

    model = create_model("googlenet", pretrained=True, fetch=fake_fetch)
    assert calls == ["GoogLeNet_Weights.IMAGENET1K_V1"]
    assert model.aux1 is not None  # the checkpoint has aux heads, so they were built and loaded
    assert model.pretrained_cfg["weights"] == "torchvision:GoogLeNet_Weights.IMAGENET1K_V1"
    assert_same_logits(reference, model)


def test_timm_weights_load_through_the_converter():
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    reference = randomize_(timm.create_model("inception_v4", pretrained=False))
    model = load_pretrained("inception_v4", fetch=lambda spec: reference.state_dict())
    assert model.pretrained_cfg["weights"] == "timm:inception_v4.tf_in1k"
    assert_same_logits(reference, model)


def test_a_checkpoint_file_placed_by_hand_is_read(tmp_path):
    reference = random_torchvision_googlenet()
    path = tmp_path / "googlenet-1378be20.pth"
    torch.save(reference.state_dict(), path)
    assert_same_logits(reference, create_model("googlenet", pretrained=True, checkpoint=path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        create_model("googlenet", pretrained=True, checkpoint=tmp_path / "missing.pth")


def test_other_num_classes_keep_the_features_and_get_a_fresh_classifier():
    reference = random_torchvision_googlenet()
    model = load_pretrained("googlenet", num_classes=10, fetch=lambda spec: reference.state_dict())
    assert model.fc.out_features == 10 and model.aux1.fc2.out_features == 10
    ours = model.state_dict()
    loaded = convert_reference_state_dict("googlenet", reference.state_dict())
    fresh = {key for key, tensor in loaded.items() if tensor.shape != ours[key].shape}
    assert fresh == {"fc.weight", "fc.bias", "aux1.fc2.weight", "aux1.fc2.bias", "aux2.fc2.weight", "aux2.fc2.bias"}
    assert all(torch.equal(ours[key], loaded[key]) for key in loaded.keys() - fresh)


def test_models_without_published_weights_say_so():
    for name in ("inception_v2", "inception_resnet_v1"):
        with pytest.raises(ValueError, match="no published ImageNet weights exist"):
            create_model(name, pretrained=True)
    with pytest.raises(ValueError, match="choose one of: .*inception_v3.tf_in1k"):
        published_weights("inception_v3", "inception_v3.nonexistent")


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Every socket connection fails, and the weight caches are empty folders."""

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (simulated by the test)")

    for proxy in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)  # no proxy: the quick reachability check runs
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    old_hub_dir = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "torch_hub"))
    try:
        from huggingface_hub import constants as hf_constants  # timm's download client
    except ImportError:
        pass
    else:
        monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf_hub"))
    yield tmp_path
    torch.hub.set_dir(old_hub_dir)


def test_offline_torchvision_error_names_the_url_and_the_manual_route(no_network):
    with pytest.raises(WeightsUnavailableError) as caught:
        create_model("googlenet", pretrained=True)
    message = str(caught.value)
    assert "https://download.pytorch.org/models/googlenet-1378be20.pth" in message
    assert "checkpoint=" in message and str(no_network / "torch_hub" / "checkpoints") in message


def test_offline_timm_error_names_the_hub_id(no_network):
    pytest.importorskip("timm")
    with pytest.raises(WeightsUnavailableError) as caught:
        create_model("inception_v4", pretrained=True)
    message = str(caught.value)
    assert "'inception_v4.tf_in1k'" in message and "huggingface.co/timm/inception_v4.tf_in1k" in message
    assert "checkpoint=" in message


def test_inputs_are_converted_to_the_normalisation_of_the_weights():
    model = torch.nn.Identity()
    x = torch.tensor([-1.0, 0.0, 1.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    assert to_model_input(x, model) is x  # the course's [-1, 1] needs no change
    model.pretrained_cfg = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    pixels = torch.tensor([0.0, 0.5, 1.0]).view(1, 3, 1, 1)
    expected = (pixels - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(to_model_input(x, model), expected.expand(1, 3, 2, 2))
    gluon = published_weights("inception_v3", "inception_v3.gluon_in1k")
    assert gluon.mean == IMAGENET_MEAN and pretrained.published_weights("inception_v3").mean == (0.5, 0.5, 0.5)


def test_the_catalogue_matches_the_libraries():
    """URLs and quoted torchvision accuracies come from torchvision itself; timm knows every tag."""
    for choices in pretrained.PUBLISHED_WEIGHTS.values():
        for spec in choices:
            if spec.source == "torchvision":
                enum_name, member = spec.id.split(".")
                weights = getattr(torchvision.models, enum_name)[member]
                assert weights.url == spec.url
                metrics = weights.meta["_metrics"]["ImageNet-1K"]
                assert (metrics["acc@1"], metrics["acc@5"]) == (spec.top1, spec.top5)
            else:
                timm = pytest.importorskip("timm")
                assert timm.models.get_pretrained_cfg(spec.id).hf_hub_id.startswith("timm/")
