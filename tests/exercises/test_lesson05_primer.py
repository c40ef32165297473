"""check_residual_block (lesson 5's ResNet primer): the right block passes, each typical slip fails
with a message that names it, and the library's own block is refused."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inception_course.exercises import check_residual_block
from inception_course.models.resnet import BasicBlock


class Block(nn.Module):
    """The primer's solution; the keyword flags make the wrong answers below."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, always_project=False,
                 never_project=False, relu_before_sum=False, no_final_relu=False, shortcut_stride=None,
                 no_bn2=False, projection_bn=True, conv_bias=False, no_scaled_input=False, channels_only=False,
                 in_place_sum=False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=conv_bias)
        self.bn1 = nn.BatchNorm2d(out_channels, eps=1e-3)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.Identity() if no_bn2 else nn.BatchNorm2d(out_channels, eps=1e-3)
        needed = in_channels != out_channels if channels_only else (stride != 1 or in_channels != out_channels)
        project = always_project or (not never_project and needed)
        layers = [nn.Conv2d(in_channels, out_channels, 1, shortcut_stride or stride, bias=False)]
        if projection_bn:
            layers.append(nn.BatchNorm2d(out_channels, eps=1e-3))
        self.shortcut = nn.Sequential(*layers) if project else nn.Identity()
        self.flags = (relu_before_sum, no_final_relu, no_scaled_input, in_place_sum)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        relu_before_sum, no_final_relu, no_shortcut, in_place_sum = self.flags
        residual = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        if relu_before_sum:
            residual = torch.relu(residual)
        if in_place_sum:  # the identity shortcut is x itself: += writes into the caller's tensor
            out = self.shortcut(x)
            out += residual
        else:
            out = residual if no_shortcut else residual + self.shortcut(x)
        return out if no_final_relu else torch.relu(out)


def variant(**flags):
    return lambda in_channels, out_channels, stride: Block(in_channels, out_channels, stride, **flags)


def test_the_solution_passes_and_the_reference_block_computes_what_the_primer_says() -> None:
    result = check_residual_block(Block, verbose=False)
    assert result.passed, result.messages
    same = BasicBlock(8, 8)
    assert isinstance(same.shortcut, nn.Identity)
    assert sum(p.numel() for p in BasicBlock(8, 16, 2).shortcut.parameters()) == 8 * 16 + 2 * 16


@pytest.mark.parametrize("flags, message", [
    ({"always_project": True}, "shortcut is the identity"),
    ({"never_project": True}, "shortcut is a projection"),
    ({"relu_before_sum": True}, "ReLU comes after the sum only"),
    ({"no_final_relu": True}, "final ReLU is missing"),
    ({"shortcut_stride": 1}, "raised RuntimeError"),
    ({"no_bn2": True}, "parameters"),
    ({"projection_bn": False}, "projection"),
    ({"conv_bias": True}, "parameters"),
    ({"no_scaled_input": True}, "shortcut is missing"),
    ({"channels_only": True}, "(10 -> 10 channels, stride 2) has 120 parameters too few"),  # a smaller grid needs a projection too
    ({"in_place_sum": True}, "changed its input x in place"),
])
def test_a_wrong_block_fails_and_says_why(flags: dict, message: str) -> None:
    result = check_residual_block(variant(**flags), verbose=False)
    assert not result.passed
    assert message in " ".join(result.messages), result.messages


def test_not_a_class_a_built_block_and_the_library_are_refused() -> None:
    assert "got int" in " ".join(check_residual_block(3, verbose=False).messages)
    assert "not a built module" in " ".join(check_residual_block(Block(8, 8, 1), verbose=False).messages)
    refused = check_residual_block(BasicBlock, verbose=False)
    assert not refused.passed and "BasicBlock" in " ".join(refused.messages)


def test_the_primer_solution_built_from_conv_bn_relu_passes() -> None:
    from inception_course.models.layers import ConvBNReLU

    class Solution(nn.Module):
        def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = ConvBNReLU(in_channels, out_channels, 3, stride=stride, padding=1)
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels, eps=1e-3)
            self.shortcut = nn.Identity() if stride == 1 and in_channels == out_channels else nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels, eps=1e-3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.bn2(self.conv2(self.conv1(x))) + self.shortcut(x))

    result = check_residual_block(Solution, verbose=False)
    assert result.passed, result.messages
