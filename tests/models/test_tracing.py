"""Every network traces with torch.fx (torchvision's feature extractor) and torch.export, while eager
calls keep their clear input errors. (torch.compile's tracer, dynamo, takes the same branch as
torch.export; a full-graph compile costs ~15 s per network on a CPU, too slow for a unit test.)"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

from inception_course.models import create_model, fuse_for_inference, list_models
from reference_models import randomize_


def small(name: str) -> nn.Module:
    options = {"depths": (1, 1, 1)} if name in ("inception_v4", "inception_resnet_v1", "inception_resnet_v2") else {}
    return randomize_(create_model(name, num_classes=5, width=0.125, **options))


@pytest.mark.parametrize("name", list_models())
def test_feature_extractor_and_export_give_the_eager_outputs(name):
    model = small(name)
    x = torch.randn(2, 3, 80, 80, generator=torch.Generator().manual_seed(0))
    train_nodes, eval_nodes = get_graph_node_names(model)  # traces in both modes (aux heads in train)
    assert len(train_nodes) >= len(eval_nodes) > 50
    extractor = create_feature_extractor(model, return_nodes={eval_nodes[-1]: "logits"})
    exported = torch.export.export(model, (x,))
    with torch.no_grad():
        expected = model(x)
        assert torch.allclose(extractor(x)["logits"], expected, atol=1e-5)
        assert torch.allclose(exported.module()(x), expected, atol=1e-5)


def test_fused_model_exports_too():
    model = small("inception_resnet_v2")
    fused = fuse_for_inference(model)
    x = torch.randn(1, 3, 80, 80)
    with torch.no_grad():
        assert torch.allclose(torch.export.export(fused, (x,)).module()(x), model(x), atol=1e-4)


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.zeros(3, 80, 80), "add a batch dimension"),
        (torch.zeros(1, 80, 80, 3), "channels come second"),
        (torch.zeros(1, 3, 80, 80, dtype=torch.uint8), "floating-point"),
        ([1, 2, 3], "expects a tensor"),
    ],
)
def test_eager_calls_keep_their_input_errors(x, message):
    with pytest.raises(ValueError, match=message):
        small("inception_v4")(x)
