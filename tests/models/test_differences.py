"""The paper-vs-reference table: every row is checked against the networks it describes (ours in
both configs, and timm's / torchvision's where the row is about them), and it renders."""

from __future__ import annotations

import inspect
from typing import Callable

import pytest
from torch import nn

from inception_course.models import create_model
from inception_course.models.differences import DIFFERENCES, Difference, differences, render_differences
from inception_course.models.inception_resnet import ReferenceStemV2
from inception_course.models.inception_v4 import Stem
from test_inception_v4 import n_params

timm = pytest.importorskip("timm")
torchvision_models = pytest.importorskip("torchvision.models")


@pytest.fixture(scope="module")
def nets() -> dict[str, nn.Module]:
    """Full-size networks (1000 classes), built once: ours in both configs, and the references."""
    return {
        "v4_paper": create_model("inception_v4", config="paper"),
        "v4_reference": create_model("inception_v4"),
        "v1": create_model("inception_resnet_v1"),
        "v2_paper": create_model("inception_resnet_v2", config="paper"),
        "v2_reference": create_model("inception_resnet_v2"),
        "timm_v4": timm.create_model("inception_v4"),
        "timm_v2": timm.create_model("inception_resnet_v2"),
        "googlenet": torchvision_models.googlenet(weights=None, aux_logits=True, init_weights=False),
    }


def row(key: str) -> Difference:
    (found,) = [r for r in DIFFERENCES if r.key == key]
    return found


def scales(model: nn.Module) -> list[float]:
    return [block.scale for block in (*model.blocks_a, *model.blocks_b, *model.blocks_c)]


def check_googlenet_5x5(nets):
    convs = nets["googlenet"].inception3a.branch3
    assert convs[1].conv.kernel_size == (3, 3) and "3x3" in row("googlenet_5x5").reference


def check_googlenet_norm(nets):
    modules = list(nets["googlenet"].modules())
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in modules)
    assert {m.eps for m in modules if isinstance(m, nn.BatchNorm2d)} == {1e-3}


def check_googlenet_dropout(nets):
    assert str(nets["googlenet"].dropout.p) in row("googlenet_dropout").reference


def check_googlenet_aux_pool(nets):
    assert "adaptive_avg_pool2d(x, (4, 4))" in inspect.getsource(type(nets["googlenet"].aux1).forward)


def check_v3_avg_pool(nets):
    import importlib

    tv_inception = importlib.import_module("torchvision.models.inception")
    timm_inception = importlib.import_module("timm.models.inception_v3")

    for block in (tv_inception.InceptionA, timm_inception.InceptionA):
        source = inspect.getsource(block._forward)
        assert "avg_pool2d(x, kernel_size=3, stride=1, padding=1)" in source and "count_include_pad" not in source


def check_v4_stem_stride(nets):
    for name in ("v4_paper", "v4_reference"):
        assert nets[name].stem.mixed_5a.branches[0].conv.stride == (2, 2)
    assert nets["timm_v4"].features[5].conv.conv.stride == (2, 2)


def check_avg_pool_padding(nets):
    pools = {name: [m for m in net.modules() if isinstance(m, nn.AvgPool2d)] for name, net in nets.items()}
    for name in ("v4_paper", "v4_reference", "v2_reference", "timm_v4", "timm_v2"):
        assert pools[name] and not any(p.count_include_pad for p in pools[name]), name
    assert pools["v2_paper"] == [] and len(pools["v2_reference"]) == 1  # the figures' IR-v2 has none


def check_dropout(nets):
    assert nets["timm_v4"].head_drop.p == nets["timm_v2"].head_drop.p == 0
    for name in ("v4_paper", "v4_reference", "v1", "v2_paper", "v2_reference"):
        assert nets[name].dropout.p == 0.2


def check_ir_v1_reference(nets):
    v1 = nets["v1"]
    stages = ((35, v1.stem), (17, v1.reduction_a), (8, v1.reduction_b))
    shapes = [f"{size}x{size}x{module.out_channels}" for size, module in stages]
    assert ", ".join(shapes) in row("ir_v1_reference").note
    assert n_params(create_model("inception_resnet_v1", config="paper", width=0.25)) == n_params(
        create_model("inception_resnet_v1", width=0.25)
    )


def check_ir_v1_facenet_blocks(nets):
    blocks = nets["v1"].blocks_c
    assert len(blocks) == 5 and all(b.scale == 0.2 and isinstance(b.act, nn.ReLU) for b in blocks)


def check_ir_v1_facenet_head(nets):
    assert (nets["v1"].fc.in_features, nets["v1"].fc.out_features) == (1792, 1000)


def check_ir_v2_stem(nets):
    paper, reference = nets["v2_paper"].stem, nets["v2_reference"].stem
    assert isinstance(paper, Stem) and f"x{paper.out_channels}" in row("ir_v2_stem").paper
    assert isinstance(reference, ReferenceStemV2) and f"x{reference.out_channels}" in row("ir_v2_stem").reference
    assert reference.mixed_5b.out_channels == 320


def check_ir_v2_depths(nets):
    text = row("ir_v2_depths")
    for name, column in (("v2_paper", text.paper), ("v2_reference", text.reference)):
        model = nets[name]
        assert " / ".join(str(len(s)) for s in (model.blocks_a, model.blocks_b, model.blocks_c)) in column
    timm_v2 = nets["timm_v2"]
    assert (len(timm_v2.repeat), len(timm_v2.repeat_1), len(timm_v2.repeat_2) + 1) == (10, 20, 10)


def check_ir_v2_last_block(nets):
    assert scales(nets["v2_paper"])[-1] == 0.2 and isinstance(nets["v2_paper"].blocks_c[-1].act, nn.ReLU)
    last = nets["v2_reference"].blocks_c[-1]
    assert last.scale == 1.0 and isinstance(last.act, nn.Identity)
    assert nets["timm_v2"].block8.scale == 1.0 and nets["timm_v2"].block8.relu is None


def check_expansions(stage: str, timm_block: Callable[[nn.Module], nn.Module], key: str):
    def check(nets):
        paper = getattr(nets["v2_paper"], stage)[0].up.out_channels
        reference = getattr(nets["v2_reference"], stage)[0].up.out_channels
        assert reference == timm_block(nets["timm_v2"]).conv2d.out_channels
        assert row(key).reference.startswith(str(reference))
        assert str(paper) in row(key).paper + row(key).note
        assert paper != reference

    return check


def check_ir_v2_final_conv(nets):
    paper, reference = nets["v2_paper"], nets["v2_reference"]
    assert isinstance(paper.final_conv, nn.Identity)
    assert reference.final_conv.conv.out_channels == nets["timm_v2"].conv2d_7b.conv.out_channels == 1536
    assert f"{paper.num_features} features" in row("ir_v2_final_conv").note
    assert f"'reference' {reference.num_features}" in row("ir_v2_final_conv").note


def check_residual_scale(nets):
    timm_v2 = nets["timm_v2"]
    reference_scales = (timm_v2.repeat[0].scale, timm_v2.repeat_1[0].scale, timm_v2.repeat_2[0].scale)
    assert " / ".join(f"{s:.2f}" for s in reference_scales) in row("residual_scale").reference
    for name in ("v1", "v2_paper"):
        model = nets[name]
        assert (model.blocks_a[0].scale, model.blocks_b[0].scale, model.blocks_c[0].scale) == reference_scales
    assert all(0.1 <= s <= 0.3 for s in reference_scales)  # inside the paper's range


def check_ir_v2_params(nets):
    assert f"{n_params(nets['v2_paper']):,}" in row("ir_v2_params").paper
    assert row("ir_v2_params").reference == f"{n_params(nets['v2_reference']):,}" == f"{n_params(nets['timm_v2']):,}"


CHECKS: dict[str, Callable[[dict[str, nn.Module]], None]] = {
    "googlenet_5x5": check_googlenet_5x5,
    "googlenet_norm": check_googlenet_norm,
    "googlenet_dropout": check_googlenet_dropout,
    "googlenet_aux_pool": check_googlenet_aux_pool,
    "v3_avg_pool": check_v3_avg_pool,
    "v4_stem_stride": check_v4_stem_stride,
    "avg_pool_padding": check_avg_pool_padding,
    "dropout": check_dropout,
    "ir_v1_reference": check_ir_v1_reference,
    "ir_v1_facenet_blocks": check_ir_v1_facenet_blocks,  # our side only: FaceNet is no dependency
    "ir_v1_facenet_head": check_ir_v1_facenet_head,  # our side only
    "ir_v2_stem": check_ir_v2_stem,
    "ir_v2_depths": check_ir_v2_depths,
    "ir_v2_last_block": check_ir_v2_last_block,
    "ir_v2_expand_a": check_expansions("blocks_a", lambda t: t.repeat[0], "ir_v2_expand_a"),
    "ir_v2_expand_b": check_expansions("blocks_b", lambda t: t.repeat_1[0], "ir_v2_expand_b"),
    "ir_v2_expand_c": check_expansions("blocks_c", lambda t: t.repeat_2[0], "ir_v2_expand_c"),
    "ir_v2_final_conv": check_ir_v2_final_conv,
    "residual_scale": check_residual_scale,
    "ir_v2_params": check_ir_v2_params,
}


def test_every_row_has_a_check_and_a_unique_key():
    keys = [r.key for r in DIFFERENCES]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(CHECKS)


@pytest.mark.parametrize("key", list(CHECKS))
def test_row_agrees_with_the_code(key, nets):
    CHECKS[key](nets)


def test_paper_figures_do_not_add_up():
    """The arithmetic behind the two IR-v2 expansion rows: Reduction-A on the Fig. 3 stem's 384
    channels gives n + m + 384 (Table 1: 384, 384), and Reduction-B adds 384 + 288 + 320."""
    after_reduction_a = 384 + 384 + 384
    assert after_reduction_a == 1152 != 1154
    assert 384 + 288 + 320 + 1154 == 2146 != 2048
    assert f"{after_reduction_a}" in row("ir_v2_expand_b").paper and "2146" in row("ir_v2_expand_c").paper


def test_rows_are_complete():
    for r in DIFFERENCES:
        assert all(getattr(r, field).strip() for field in ("network", "what", "paper", "reference", "note", "key"))


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_renders_every_row(fmt):
    out = render_differences(fmt)
    for r in DIFFERENCES:
        assert r.what.replace("'", "&#x27;" if fmt == "html" else "'") in out
    if fmt == "markdown":
        assert len(out.splitlines()) == len(DIFFERENCES) + 2
    if fmt == "html":
        assert out.startswith("<table>") and out.count("<tr>") == len(DIFFERENCES) + 1


def test_filter_by_network_and_bad_format():
    rows = differences("resnet-v2")
    assert rows and all("ResNet" in r.network for r in rows)
    assert "GoogLeNet" not in render_differences("text", network="ResNet-v2")
    with pytest.raises(ValueError, match="fmt must be one of"):
        render_differences("latex")
