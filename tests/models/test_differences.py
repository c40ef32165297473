"""The paper-vs-reference table: every row is checked by behaviour. Each check builds the networks
the row is about (ours in both configs, and timm's / torchvision's where the row is about them) and
asserts the difference the row states - pooling windows found by probing, outputs compared, layer
kernels in the order they run, parameters and multiply-adds counted - and, where the row quotes a
number, that the number is the one the networks give."""

from __future__ import annotations

import html
import importlib
from typing import Callable

import pytest
import torch
from torch import nn

from inception_course.models import create_model, describe
from inception_course.models.differences import DIFFERENCES, Difference, differences, render_differences
from inception_course.models.inception_resnet import ReferenceStemV2
from inception_course.models.inception_v4 import Stem
from test_inception_v4 import n_params

timm = pytest.importorskip("timm")
torchvision_models = pytest.importorskip("torchvision.models")


@pytest.fixture(scope="module")
def nets() -> dict[str, nn.Module]:
    """Full-size networks (1000 classes), built once: ours in both configs, and the references."""
    torch.manual_seed(0)
    return {
        "googlenet_paper": create_model("googlenet", config="paper"),
        "googlenet_reference": create_model("googlenet"),
        "bn_paper": create_model("inception_v2", config="paper"),
        "bn_reference": create_model("inception_v2"),
        "v3": create_model("inception_v3"),
        "v4_paper": create_model("inception_v4", config="paper"),
        "v4_reference": create_model("inception_v4"),
        "v1": create_model("inception_resnet_v1"),
        "v2_paper": create_model("inception_resnet_v2", config="paper"),
        "v2_reference": create_model("inception_resnet_v2"),
        "timm_v4": timm.create_model("inception_v4"),
        "timm_v2": timm.create_model("inception_resnet_v2"),
        "googlenet": torchvision_models.googlenet(weights=None, aux_logits=True, init_weights=False),
        "tv_v3": torchvision_models.inception_v3(weights=None, aux_logits=True, init_weights=False),
    }


def row(key: str) -> Difference:
    (found,) = [r for r in DIFFERENCES if r.key == key]
    return found


def scales(model: nn.Module) -> list[float]:
    return [block.scale for block in (*model.blocks_a, *model.blocks_b, *model.blocks_c)]


def windows(pool: nn.Module, size: int) -> list[tuple[int, int]]:
    """(start, length) of each output row's window along the height of a ``size``-pixel map, found by
    feeding one lit row at a time and seeing which output rows it reaches."""
    hits: dict[int, list[int]] = {}
    for i in range(size):
        x = torch.zeros(1, 1, size, size)
        x[0, 0, i, :] = 1.0
        for r in torch.nonzero(pool(x)[0, 0, :, 0] > 0).flatten().tolist():
            hits.setdefault(r, []).append(i)
    return [(rows[0], len(rows)) for _, rows in sorted(hits.items())]


def kernels(module: nn.Module) -> list[tuple[int, int]]:
    """Kernel sizes of the convs in ``module``, in the order they were registered (= run)."""
    return [m.kernel_size for m in module.modules() if isinstance(m, nn.Conv2d)]


def macs(module: nn.Module, image_size: int, in_chans: int = 3) -> int:
    return describe(module, image_size, in_chans=in_chans).total.macs


def check_googlenet_5x5(nets):
    assert kernels(nets["googlenet"].inception3a.branch3)[1] == (3, 3)  # torchvision's "5x5" branch
    assert kernels(nets["googlenet_reference"].inception3a.branches[2])[1] == (3, 3)
    assert kernels(nets["googlenet_paper"].inception3a.branches[2])[1] == (5, 5)


def check_googlenet_norm(nets):
    modules = list(nets["googlenet"].modules())
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in modules)
    assert {m.eps for m in modules if isinstance(m, nn.BatchNorm2d)} == {1e-3}
    paper = list(nets["googlenet_paper"].modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in paper)
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in paper) == 2


def check_googlenet_dropout(nets):
    assert nets["googlenet"].dropout.p == nets["googlenet_reference"].dropout.p == 0.2
    assert nets["googlenet_paper"].dropout.p == 0.4  # the paper's "40% of outputs dropped"


def check_googlenet_aux_pool(nets):
    paper, reference = nets["googlenet_paper"].aux1.pool, nets["googlenet_reference"].aux1.pool
    assert windows(paper, 14) == [(0, 5), (3, 5), (6, 5), (9, 5)]
    assert windows(reference, 14) == [(0, 4), (3, 4), (7, 4), (10, 4)]
    x = torch.randn(1, 528, 14, 14, generator=torch.Generator().manual_seed(0))
    assert paper(x).shape == reference(x).shape == (1, 528, 4, 4)
    assert (paper(x) - reference(x)).abs().max() > 0.3  # not interchangeable


def check_googlenet_pool4(nets):
    paper, reference = nets["googlenet_paper"].pool4, nets["googlenet_reference"].pool4
    assert windows(paper, 14) == [(i, 3) for i in range(0, 12, 2)] + [(12, 2)]  # 3x3/2, the last clipped
    assert windows(reference, 14) == windows(nets["googlenet"].maxpool4, 14) == [(i, 2) for i in range(0, 14, 2)]
    x = torch.randn(1, 832, 14, 14, generator=torch.Generator().manual_seed(0))
    assert paper(x).shape == reference(x).shape == (1, 832, 7, 7)
    assert not torch.equal(paper(x), reference(x))


def separable_7x7(in_chans: int = 3, multiplier: int = 8, out_channels: int = 64) -> nn.Sequential:
    """A depthwise-separable 7x7/2: ``multiplier`` 7x7 filters per input channel, then 1x1."""
    return nn.Sequential(
        nn.Conv2d(in_chans, in_chans * multiplier, 7, stride=2, padding=3, groups=in_chans, bias=False),
        nn.Conv2d(in_chans * multiplier, out_channels, 1, bias=False),
    )


def check_googlenet_conv1(nets):
    text = row("googlenet_conv1")
    paper = describe(nets["googlenet_paper"], 224)
    dense = nets["googlenet_paper"].conv1.conv
    assert dense.kernel_size == (7, 7) and dense.groups == 1
    dense_weights, dense_macs = dense.weight.numel(), paper["conv1"].macs
    separable = separable_7x7()
    sep_weights, sep_macs = n_params(separable), macs(separable, 224)
    assert round(sep_weights / 1e3, 1) == 2.7 and round(sep_macs / 1e6) == 34  # the GoogLeNet paper's Table 1
    assert f"{sep_weights:,} weights, {sep_macs / 1e6:.1f}M" in text.paper
    assert f"{dense_weights:,} weights, {dense_macs / 1e6:.1f}M" in text.reference
    total = paper.total.macs
    assert f"{total / 1e9:.2f}G - {dense_macs / 1e6:.1f}M + {sep_macs / 1e6:.1f}M = " \
        f"{(total - dense_macs + sep_macs) / 1e9:.2f}G" in text.note
    assert round((total - dense_macs + sep_macs) / 1e9, 1) == 1.5  # the paper's 1.5G
    assert nets["googlenet_reference"].conv1.conv.groups == 1  # the reference is dense too


def check_bn_pool_proj(nets):
    shapes = {name: describe(nets[name], 224) for name in ("bn_paper", "bn_reference")}
    for name, proj, out in (("bn_paper", 128, 608), ("bn_reference", 96, 576)):
        for block in ("inception4c", "inception4d"):
            assert getattr(nets[name], block).branches[3][1].conv.out_channels == proj
            assert shapes[name][block].shape == (out, 14, 14)
    assert shapes["bn_paper"]["inception4e"].shape == (1056, 7, 7)
    assert shapes["bn_reference"]["inception4e"].shape == (1024, 7, 7)
    assert shapes["bn_reference"]["inception4b"].shape == (576, 14, 14)  # the table's output column


def check_bn_conv1(nets):
    paper, reference = nets["bn_paper"].conv1, nets["bn_reference"].conv1
    assert kernels(paper) == [(7, 7)] and sum(isinstance(m, nn.BatchNorm2d) for m in paper.modules()) == 1
    depthwise, pointwise = [m for m in reference.modules() if isinstance(m, nn.Conv2d)]
    assert (depthwise.kernel_size, depthwise.groups, depthwise.out_channels) == ((7, 7), 3, 24)
    assert pointwise.kernel_size == (1, 1) and pointwise.bias is not None
    assert not any(isinstance(m, nn.BatchNorm2d) for m in reference.modules())


def check_bn_params(nets):
    text = row("bn_params")
    paper, reference = n_params(nets["bn_paper"]), n_params(nets["bn_reference"])
    assert text.reference.startswith(f"{reference:,}") and f"{paper:,}" in text.note
    assert max(paper, reference) < 13.6e6 * 0.84  # both well short of the quoted 13.6M


def check_v3_avg_pool(nets):
    """torchvision's and timm's 35x35 module average their pool branch over zero padding too: with
    the pool projection an identity, a corner of an all-ones map gives 4/9 of the centre."""
    tv_inception = importlib.import_module("torchvision.models.inception")
    timm_inception = importlib.import_module("timm.models.inception_v3")
    for block_type in (tv_inception.InceptionA, timm_inception.InceptionA):
        block = block_type(8, pool_features=8).eval()
        with torch.no_grad():
            block.branch_pool.conv.weight.copy_(torch.eye(8).view(8, 8, 1, 1))
            pooled = block(torch.ones(1, 8, 5, 5))[0, -8:]
        torch.testing.assert_close(pooled[:, 0, 0] / pooled[:, 2, 2], torch.full((8,), 4 / 9))


def check_v3_5x5_branch(nets):
    assert (5, 5) in kernels(nets["v3"].inception_a[0]) and kernels(nets["tv_v3"].Mixed_5b.branch5x5_2) == [(5, 5)]
    assert nets["tv_v3"].Mixed_5b.branch5x5_1.conv.out_channels == 48
    assert nets["tv_v3"].Mixed_5b.branch5x5_2.conv.out_channels == 64


def check_v3_stem_1x1(nets):
    ours, reference = nets["v3"].stem.conv3b.conv, nets["tv_v3"].Conv2d_3b_1x1.conv
    assert ours.kernel_size == reference.kernel_size == (1, 1)
    assert ours.out_channels == reference.out_channels == 80
    assert describe(nets["v3"], 299)["stem"].shape == (192, 35, 35)


def check_v3_stem_pool(nets):
    stem = describe(nets["v3"].stem, 299, depth=1)
    assert stem["conv3b"].shape == (80, 73, 73)
    assert stem["conv4a"].shape == (192, 71, 71) and nets["v3"].stem.conv4a.conv.stride == (1, 1)
    assert stem["pool2"].shape == (192, 35, 35) and isinstance(nets["v3"].stem.pool2, nn.MaxPool2d)
    assert isinstance(nets["tv_v3"].maxpool2, nn.MaxPool2d) and nets["tv_v3"].Conv2d_4a_3x3.conv.stride == (1, 1)


def check_v3_stem_288(nets):
    table = describe(nets["v3"].inception_a, 35, in_chans=192)
    assert [r.shape[0] for r in table.rows] == [256, 288, 288]
    assert nets["tv_v3"].Mixed_5b.branch1x1.conv.in_channels == 192


def figure_order_refuses_reference_weights(branch: nn.Module, swapped: nn.Module) -> None:
    """The figure's order has the same parameters and multiply-adds, but the reference's weights do
    not load into it (every 1xn / nx1 pair is transposed)."""
    assert n_params(swapped) == n_params(branch)
    in_chans = next(m for m in branch.modules() if isinstance(m, nn.Conv2d)).in_channels
    assert macs(swapped, 17, in_chans) == macs(branch, 17, in_chans)
    with pytest.raises(RuntimeError, match="size mismatch"):
        swapped.load_state_dict(branch.state_dict())


def check_v4_stem_factor_order(nets):
    figure = [(1, 1), (7, 1), (1, 7), (3, 3)]
    reference = [(1, 1), (1, 7), (7, 1), (3, 3)]
    assert kernels(nets["timm_v4"].features[4].branch1) == reference
    for name in ("v4_paper", "v4_reference", "v2_paper"):
        branch = nets[name].stem.mixed_4a.branches[1]
        assert kernels(branch) == reference
    from inception_course.models.inception_v4 import conv

    branch = nets["v4_paper"].stem.mixed_4a.branches[1]
    swapped = nn.Sequential(conv(160, 64, 1), conv(64, 64, (7, 1)), conv(64, 64, (1, 7)), conv(64, 96, 3, valid=True))
    assert kernels(swapped) == figure
    figure_order_refuses_reference_weights(branch, swapped)


def check_v4_c_factor_order(nets):
    from inception_course.models.inception_v4 import conv
    from inception_course.models.layers import InceptionBlock

    reference = [(1, 1), (3, 1), (1, 3), (1, 3), (3, 1)]
    timm_c = nets["timm_v4"].features[-1]
    timm_deep = [m for name, m in timm_c.named_modules() if name.startswith("branch2") and isinstance(m, nn.Conv2d)]
    assert [m.kernel_size for m in timm_deep] == reference
    branch = nets["v4_paper"].blocks_c[0].branches[2]
    assert kernels(branch) == kernels(nets["v4_reference"].blocks_c[0].branches[2]) == reference
    swapped = nn.Sequential(
        conv(1536, 384, 1), conv(384, 448, (1, 3)), conv(448, 512, (3, 1)),
        InceptionBlock([conv(512, 256, (1, 3)), conv(512, 256, (3, 1))]),
    )
    assert kernels(swapped)[:3] == [(1, 1), (1, 3), (3, 1)]  # Fig. 6, Inception-C
    figure_order_refuses_reference_weights(branch, swapped)


def check_v4_stem_stride(nets):
    for name in ("v4_paper", "v4_reference"):
        assert nets[name].stem.mixed_5a.branches[0].conv.stride == (2, 2)
    assert nets["timm_v4"].features[5].conv.conv.stride == (2, 2)
    assert describe(nets["v4_paper"].stem, 299)["mixed_5a"].shape == (384, 35, 35)  # the figure's output


def check_avg_pool_padding(nets):
    """Every average pool of ours and timm's averages only the real pixels: a corner of an all-ones
    map stays 1 (PyTorch's default would give 4/9)."""
    ones = torch.ones(1, 1, 5, 5)
    pools = {name: [m for m in net.modules() if isinstance(m, nn.AvgPool2d)] for name, net in nets.items()}
    for name in ("v4_paper", "v4_reference", "v2_reference", "timm_v4", "timm_v2"):
        assert pools[name], name
        for pool in pools[name]:
            assert pool(ones)[0, 0, 0, 0] == 1.0, name
    assert pools["v2_paper"] == [] and len(pools["v2_reference"]) == 1  # the figures' IR-v2 has none


def check_dropout(nets):
    assert nets["timm_v4"].head_drop.p == nets["timm_v2"].head_drop.p == 0
    for name in ("v4_paper", "v4_reference", "v1", "v2_paper", "v2_reference"):
        assert nets[name].dropout.p == 0.2  # keep probability 0.8


def check_ir_v1_reference(nets):
    v1 = nets["v1"]
    table = describe(v1, 299)
    shapes = [f"{h}x{w}x{c}" for c, h, w in (table[s].shape for s in ("stem", "reduction_a", "reduction_b"))]
    assert ", ".join(shapes) == "35x35x256, 17x17x896, 8x8x1792"
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
    assert isinstance(paper, Stem) and isinstance(reference, ReferenceStemV2)
    assert describe(paper, 299).rows[-1].shape == (384, 35, 35)
    assert describe(reference, 299).rows[-1].shape == (320, 35, 35)


def check_ir_v2_depths(nets):
    counts = {
        name: tuple(len(s) for s in (nets[name].blocks_a, nets[name].blocks_b, nets[name].blocks_c))
        for name in ("v2_paper", "v2_reference")
    }
    assert counts == {"v2_paper": (5, 10, 5), "v2_reference": (10, 20, 10)}
    timm_v2 = nets["timm_v2"]
    assert (len(timm_v2.repeat), len(timm_v2.repeat_1), len(timm_v2.repeat_2) + 1) == (10, 20, 10)


def check_ir_v2_last_block(nets):
    assert scales(nets["v2_paper"])[-1] == 0.2 and isinstance(nets["v2_paper"].blocks_c[-1].act, nn.ReLU)
    last = nets["v2_reference"].blocks_c[-1]
    assert last.scale == 1.0 and isinstance(last.act, nn.Identity)
    assert nets["timm_v2"].block8.scale == 1.0 and nets["timm_v2"].block8.relu is None
    x = -torch.ones(1, 2080, 3, 3)  # no ReLU: a negative input can come out negative
    assert (last.eval()(x) < 0).any()


def check_expansions(stage: str, timm_block: Callable[[nn.Module], nn.Module], paper: int, reference: int):
    def check(nets):
        assert getattr(nets["v2_paper"], stage)[0].up.out_channels == paper
        assert getattr(nets["v2_reference"], stage)[0].up.out_channels == reference
        assert timm_block(nets["timm_v2"]).conv2d.out_channels == reference

    return check


def check_ir_v2_final_conv(nets):
    paper, reference = nets["v2_paper"], nets["v2_reference"]
    assert isinstance(paper.final_conv, nn.Identity)
    assert reference.final_conv.conv.out_channels == nets["timm_v2"].conv2d_7b.conv.out_channels == 1536
    assert (paper.num_features, reference.num_features) == (2144, 1536)


def check_residual_scale(nets):
    timm_v2 = nets["timm_v2"]
    reference_scales = (timm_v2.repeat[0].scale, timm_v2.repeat_1[0].scale, timm_v2.repeat_2[0].scale)
    assert reference_scales == pytest.approx((0.17, 0.10, 0.20))
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
    "googlenet_pool4": check_googlenet_pool4,
    "googlenet_conv1": check_googlenet_conv1,
    "bn_pool_proj": check_bn_pool_proj,
    "bn_conv1": check_bn_conv1,
    "bn_params": check_bn_params,
    "v3_avg_pool": check_v3_avg_pool,
    "v3_5x5_branch": check_v3_5x5_branch,
    "v3_stem_1x1": check_v3_stem_1x1,
    "v3_stem_pool": check_v3_stem_pool,
    "v3_stem_288": check_v3_stem_288,
    "v4_stem_factor_order": check_v4_stem_factor_order,
    "v4_c_factor_order": check_v4_c_factor_order,
    "v4_stem_stride": check_v4_stem_stride,
    "avg_pool_padding": check_avg_pool_padding,
    "dropout": check_dropout,
    "ir_v1_reference": check_ir_v1_reference,
    "ir_v1_facenet_blocks": check_ir_v1_facenet_blocks,  # our side only: FaceNet is no dependency
    "ir_v1_facenet_head": check_ir_v1_facenet_head,  # our side only
    "ir_v2_stem": check_ir_v2_stem,
    "ir_v2_depths": check_ir_v2_depths,
    "ir_v2_last_block": check_ir_v2_last_block,
    "ir_v2_expand_a": check_expansions("blocks_a", lambda t: t.repeat[0], 384, 320),
    "ir_v2_expand_b": check_expansions("blocks_b", lambda t: t.repeat_1[0], 1152, 1088),
    "ir_v2_expand_c": check_expansions("blocks_c", lambda t: t.repeat_2[0], 2144, 2080),
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
        assert (html.escape(r.what) if fmt == "html" else r.what) in out
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
