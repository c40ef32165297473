"""Tiny models and data sets whose outputs are known, shared by the evaluation tests."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import Dataset

NUM_CLASSES = 10


class LabelledByBrightness(Dataset):
    """Flat images whose value encodes their label (``label / 10`` in [-1, 1]), of varied sizes.

    Every crop and mirror of a flat image is flat with the same value, so a model that reads the
    value back knows the label under any crop scheme.
    """

    def __init__(self, labels: list[int], fail_at: int | None = None) -> None:
        self.labels, self.fail_at = labels, fail_at

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if index == self.fail_at:
            raise KeyboardInterrupt("simulated Ctrl-C")
        height, width = 40 + index % 3 * 7, 44 + index % 2 * 9
        return torch.full((3, height, width), self.labels[index] / NUM_CLASSES), self.labels[index]


class BrightnessReader(nn.Module):
    """Scores class c by ``-(c - (guess + shift))^2`` where ``guess`` is the label the brightness encodes.

    ``shift=0``: always right. ``shift=0.6``: the next class (0.4 away) beats the right one (0.6
    away), so top-1 is always wrong and top-2 always right (for labels below 9).
    """

    default_image_size = 32

    def __init__(self, shift: float = 0.0) -> None:
        super().__init__()
        self.shift = shift
        self.seen_shapes: list[tuple[int, ...]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen_shapes.append(tuple(x.shape))
        guess = x.mean(dim=(1, 2, 3)) * NUM_CLASSES + self.shift
        classes = torch.arange(NUM_CLASSES, dtype=x.dtype, device=x.device)
        return -((classes - guess[:, None]) ** 2)


def tiny_cnn(num_classes: int = NUM_CLASSES) -> nn.Module:
    """A real (random) conv net, small enough for 144-crop evaluation on a CPU in a test."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, num_classes)
    )
    model.default_image_size = 32
    return model
