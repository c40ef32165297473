"""An ensemble's output is the log of its members' averaged softmax."""

import pytest
import torch
from torch import nn

from inception_course.evaluation import Ensemble


class Fixed(nn.Module):
    """Returns the same logits for every image."""

    default_image_size = 299

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.register_buffer("logits", torch.tensor(logits))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(x), -1)


def test_softmax_of_the_output_is_the_average_of_the_members_softmax():
    a, b = Fixed([4.0, 0.0, 0.0]), Fixed([0.0, 0.0, 3.0])
    x = torch.zeros(2, 3, 8, 8)
    expected = (a(x).softmax(1) + b(x).softmax(1)) / 2
    torch.testing.assert_close(Ensemble([a, b])(x).softmax(1), expected)
    torch.testing.assert_close(Ensemble([a, b])(x).exp(), expected)  # already normalised log-probabilities


def test_weights_and_the_paper_mix_of_one_v4_and_three_ir_v2():
    v4, ir_v2 = Fixed([2.0, 0.0]), Fixed([0.0, 2.0])
    x = torch.zeros(1, 3, 8, 8)
    paper_mix = Ensemble([v4, ir_v2, ir_v2, ir_v2])
    weighted = Ensemble([v4, ir_v2], weights=[1, 3])
    expected = (v4(x).softmax(1) + 3 * ir_v2(x).softmax(1)) / 4
    torch.testing.assert_close(paper_mix(x).exp(), expected)
    torch.testing.assert_close(weighted(x).exp(), expected)


def test_members_see_the_normalisation_their_weights_expect():
    class Echo(nn.Module):
        default_image_size = 299

        def forward(self, x):
            self.seen = x
            return x.mean(dim=(2, 3))

    plain, imagenet = Echo(), Echo()
    imagenet.pretrained_cfg = {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
    Ensemble([plain, imagenet])(torch.zeros(1, 3, 4, 4))
    assert plain.seen.abs().max() == 0  # [-1, 1] unchanged
    assert imagenet.seen[0, 0, 0, 0] == pytest.approx((0.5 - 0.485) / 0.229)


def test_members_must_share_an_input_size():
    small = Fixed([1.0])
    small.default_image_size = 224
    with pytest.raises(ValueError, match="different input sizes"):
        Ensemble([Fixed([1.0]), small])
    with pytest.raises(ValueError, match="one non-negative weight"):
        Ensemble([Fixed([1.0])], weights=[1, 2])
