"""describe(): the stage table must agree with real forward passes and with hand-counted costs."""

import pytest
import torch
from torch import nn

from inception_course import create_model
from inception_course.models.describe import StageRow, StageTable, describe
from inception_course.models.layers import ConvBNReLU, InceptionBlock, ResidualInceptionBlock


def small_net() -> nn.Sequential:
    """A chain whose forward pass is just its children in order, so we can replay it by hand."""
    block = InceptionBlock([
        ConvBNReLU(16, 8, 1),
        nn.Sequential(ConvBNReLU(16, 8, 1), ConvBNReLU(8, 8, 3, padding=1)),
        nn.MaxPool2d(3, stride=1, padding=1),
    ])
    residual = ResidualInceptionBlock([ConvBNReLU(32, 8, 1), ConvBNReLU(32, 8, (1, 7), padding=(0, 3))], 16, 32, 0.2)
    return nn.Sequential(
        ConvBNReLU(3, 16, 3, stride=2), block, residual, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)
    )


def test_shapes_match_calling_the_children_directly():
    net = small_net().eval()
    table = describe(net, (33, 41), batch_size=2)
    x = torch.randn(2, 3, 33, 41)
    with torch.no_grad():
        for name, child in net.named_children():
            x = child(x)
            assert table[name].shape == tuple(x.shape[1:]), name
    assert [row.stage for row in table] == [name for name, _ in net.named_children()]


def test_parameters_add_up_to_the_model_and_macs_to_the_total():
    net = small_net()
    for depth in (1, 2, 4):
        table = describe(net, 32, depth=depth)
        assert table.total.params == sum(p.numel() for p in net.parameters())
        assert sum(row.params for row in table) == table.total.params
        assert sum(row.macs for row in table) == table.total.macs


def test_macs_of_a_grouped_conv_and_a_linear_layer_follow_the_formula():
    conv = nn.Conv2d(8, 12, kernel_size=(3, 5), stride=2, padding=1, groups=4)
    row = describe(conv, (15, 17), in_chans=8).rows[0]
    out_h, out_w = (15 + 2 - 3) // 2 + 1, (17 + 2 - 5) // 2 + 1
    assert row.shape == (12, out_h, out_w)
    assert row.macs == 12 * out_h * out_w * (8 // 4) * 3 * 5
    assert row.params == 12 * (8 // 4) * 3 * 5 + 12

    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.Flatten(), nn.Linear(4 * 6 * 6, 7))
    assert describe(net, 6)["2"].macs == 4 * 6 * 6 * 7


def test_inception_v4_shows_the_paper_figure_shapes():
    model = create_model("inception_v4")
    table = describe(model, 299)
    assert table["stem"].shape == (384, 35, 35)  # the paper's 35x35x384
    assert table["reduction_a"].shape == (1024, 17, 17)  # 17x17x1024
    assert table["blocks_c"].shape == (1536, 8, 8)  # 8x8x1536
    assert table.total.params == 42_679_816
    text = str(table)
    assert "384 x 35 x 35" in text and "42,679,816" in text


def test_deeper_rows_are_module_paths_in_the_order_they_run():
    model = create_model("inception_v4", width=0.25, depths=(2, 1, 1))
    deep = describe(model, 299, depth=2)
    assert deep.rows[0].stage == "stem.conv_1a" and deep["stem.conv_1a"].shape == (8, 149, 149)
    assert deep["blocks_a.1"].shape == (96, 35, 35)
    assert [row.stage for row in deep.rows[-3:]] == ["global_pool", "dropout", "fc"]  # registered first, run last


def test_modules_not_run_in_eval_show_parameters_but_no_shape():
    model = create_model("googlenet", width=0.25, aux_logits=True)
    model.train()
    table = describe(model, 64)
    assert model.training, "describe must restore the train/eval mode"
    aux = table["aux1"]
    assert aux.shape is None and aux.macs is None
    assert aux.params == sum(p.numel() for p in model.aux1.parameters()) > 0
    assert [row.stage for row in table.rows[-2:]] == ["aux1", "aux2"]  # stages that did not run come last
    assert "aux1" in str(table)


def test_renderings_and_lookup():
    table = describe(small_net(), 32)
    assert isinstance(table, StageTable) and isinstance(table.rows[0], StageRow)
    lines = str(table).splitlines()
    assert lines[0].split()[0] == "stage" and lines[-1].startswith("total")
    assert len({len(line) for line in lines[:2]}) == 1  # header and rule have the same width
    markdown = table.to_markdown().splitlines()
    assert len(markdown) == 2 + len(table) + 1 and markdown[-1].startswith("| **total**")
    html = table._repr_html_()
    assert html.count("<tr>") == 1 + len(table) + 1 and f"{table.total.macs:,}" in html
    with pytest.raises(KeyError, match="stages: 0, 1"):
        table["nope"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_size": 0}, "image_size"),
        ({"image_size": (32,)}, "image_size"),
        ({"image_size": 32, "depth": 0}, "depth"),
        ({"image_size": 32, "batch_size": 0}, "batch_size"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        describe(small_net(), **kwargs)


def test_a_network_below_its_minimum_size_says_so():
    with pytest.raises(ValueError, match="at least 75"):
        describe(create_model("inception_v4", width=0.25, depths=(1, 1, 1)), 64)
