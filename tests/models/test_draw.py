"""draw() / draw_network(): the pictures carry the paper's labels and the block's structure."""

from collections import Counter

import matplotlib
import pytest
from matplotlib.lines import Line2D
from PIL import Image
from torch import nn

from inception_course import create_model
from inception_course.models.draw import draw, draw_network, paper_name
from inception_course.models.inception_v4 import InceptionA, ReductionA, Stem
from inception_course.models.layers import ConvBNReLU, ResidualInceptionBlock

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(fig) -> Counter:
    """How often each box label appears (arrows are empty text artists and are skipped)."""
    return Counter(t.get_text() for ax in fig.axes for t in ax.texts if t.get_text())


def columns_between(fig, bottom: str, top: str) -> int:
    """Number of distinct box columns (x positions) strictly between two labelled boxes."""
    texts = [t for t in fig.axes[0].texts if t.get_text()]
    y_of = {t.get_text(): t.get_position()[1] for t in texts}
    xs = {round(t.get_position()[0], 3) for t in texts if y_of[bottom] < t.get_position()[1] < y_of[top]}
    return len(xs)


def test_inception_a_has_four_branches_labelled_as_in_the_paper():
    fig = draw(InceptionA(384))
    assert fig.axes[0].get_title() == "Inception-A"
    assert labels(fig) == Counter({
        "Input": 1, "1x1 Conv (96)": 2, "1x1 Conv (64)": 2, "3x3 Conv (96)": 3, "Avg Pooling": 1, "Filter concat": 1,
    })
    assert columns_between(fig, "Input", "Filter concat") == 4


def test_reduction_a_marks_strides_and_valid_padding():
    found = labels(draw(ReductionA(384, 192, 224, 256, 384)))
    expected = {"3x3 Conv (384 stride 2 V)", "3x3 Conv (256 stride 2 V)", "3x3 MaxPool (stride 2 V)", "3x3 Conv (224)"}
    assert expected <= set(found)


def test_residual_block_draws_linear_expansion_scaled_sum_and_shortcut():
    block = ResidualInceptionBlock(
        [ConvBNReLU(64, 32, 1), nn.Sequential(ConvBNReLU(64, 32, 1), ConvBNReLU(32, 32, (1, 7), padding=(0, 3)))],
        concat_channels=64, out_channels=64, scale=0.17,
    )
    fig = draw(block, title="toy")
    found = labels(fig)
    assert {"1x1 Conv (64 Linear)", "+ (scale 0.17)", "ReLU", "1x7 Conv (32)"} <= set(found)
    assert columns_between(fig, "Input", "1x1 Conv (64 Linear)") == 2
    # the shortcut is the only line with more than one bend: input -> lane -> up -> into the "+"
    assert sum(len(line.get_xdata()) == 4 for line in fig.axes[0].lines if isinstance(line, Line2D)) == 1
    no_relu = ResidualInceptionBlock([ConvBNReLU(8, 8, 1)], 8, 8, scale=1.0, activate=False)
    assert "ReLU" not in labels(draw(no_relu))


def test_stem_is_a_chain_with_three_nested_filter_concats():
    found = labels(draw(Stem()))
    assert found["Filter concat"] == 3
    assert {"3x3 Conv (32 stride 2 V)", "3x3 Conv (32 V)", "3x3 Conv (64)", "7x1 Conv (64)"} <= set(found)


def test_saving_to_png_works(tmp_path):
    path = tmp_path / "block.png"
    draw(InceptionA(384, width=0.5)).savefig(path, dpi=80)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 200 and image.height > 100


def test_draw_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert draw(InceptionA(384), ax=axes[1], title="A") is fig
    assert axes[1].get_title() == "A" and not axes[0].texts


def test_network_schema_groups_repeated_blocks_with_their_shapes():
    fig = draw_network(create_model("inception_v4", width=0.25), image_size=299)
    found = labels(fig)
    for label in ["Stem", "4 x Inception-A", "Reduction-A", "7 x Inception-B", "Reduction-B", "3 x Inception-C"]:
        assert label in found
    # a quarter of the paper's 35x35x384, 17x17x1024, 8x8x1536
    assert {"96 x 35 x 35", "256 x 17 x 17", "384 x 8 x 8", "3 x 299 x 299"} <= set(found)
    texts = [t for t in fig.axes[0].texts if t.get_text()]
    y = {t.get_text(): t.get_position()[1] for t in texts}
    assert y["Input"] < y["Stem"] < y["4 x Inception-A"] < y["3 x Inception-C"]  # bottom-up like the paper


def test_network_schema_leaves_out_heads_that_do_not_run_in_eval():
    found = labels(draw_network(create_model("googlenet", width=0.25, aux_logits=True), image_size=64))
    assert "AuxClassifier" not in found and "Aux-Classifier" not in found
    assert "5 x Inception-Module" in found


def test_network_schema_names_a_plain_sequential_stem_by_its_attribute():
    found = labels(draw_network(create_model("inception_v3", width=0.25, aux_logits=False), image_size=75))
    assert "Stem" in found and "3 x Inception-A" in found


def test_whole_network_and_non_module_are_refused_with_advice():
    with pytest.raises(ValueError, match="draw_network"):
        draw(create_model("inception_v4", width=0.25, depths=(1, 1, 1)))
    with pytest.raises(ValueError, match="nn.Module"):
        draw("InceptionA")


def test_paper_names():
    assert paper_name("InceptionResNetB") == "Inception-ResNet-B"
    assert paper_name("ReductionA") == "Reduction-A"
    assert paper_name("Stem") == "Stem"
