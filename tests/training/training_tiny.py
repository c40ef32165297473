"""Small helpers shared by the training tests (and by the distributed worker script).

``TinyNet`` has no batch norm, so splitting a batch across processes does not change its
gradients (batch-norm statistics would), and it is fast at 32 px.
"""

from __future__ import annotations

import torch
from torch import nn


class TinyNet(nn.Module):
    """conv - ReLU - conv - ReLU - ``global_pool`` - ``fc``: the shape of an ``InceptionNet`` head."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2), nn.ReLU()
        )
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.global_pool(self.features(x)), 1))


def tiny_settings(**overrides):
    """Settings for a few-second CPU run on 24 synthetic 32 px images (6 steps per epoch)."""
    settings = dict(
        image_size=32, batch_size=4, epochs=1, num_workers=0, log_every=1, ema_decay=0.9,
        data_kwargs={"num_images": 24, "num_classes": 4}, precision="fp32", device="cpu",
    )
    settings.update(overrides)
    return settings
