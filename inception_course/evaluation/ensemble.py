"""Ensembles: several networks vote by averaging their softmax outputs (the paper's ensemble results, Table 5, AAAI Table 4).

The paper's best result averages one Inception-v4 and three Inception-ResNet-v2 models, each over
144 crops. :class:`Ensemble` is an ``nn.Module`` whose output is ``log(mean_i softmax(model_i(x)))``:
log-probabilities are valid logits (their softmax is exactly the averaged probabilities), so an
ensemble drops into :func:`~inception_course.evaluation.evaluate` and
:func:`~inception_course.evaluation.predict` like a single network, with any crop scheme, and the
crop average then averages those probabilities again (softmax of the log-mean is the mean).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..models.pretrained import to_model_input


class Ensemble(nn.Module):
    """Average the softmax of ``models`` (optionally weighted); outputs log-probabilities.

    Every member sees the same [-1, 1] input, converted to the normalisation its weights expect
    (see :func:`~inception_course.models.pretrained.to_model_input`), so TF-ported and
    ImageNet-normalised members can be mixed. Members must share an input size.
    """

    def __init__(self, models: Sequence[nn.Module], weights: Sequence[float] | None = None) -> None:
        super().__init__()
        if not models:
            raise ValueError("an Ensemble needs at least one model")
        sizes = {getattr(model, "default_image_size", None) for model in models}
        if len(sizes) > 1:
            raise ValueError(
                f"ensemble members expect different input sizes {sorted(map(str, sizes))}: crops are cut once "
                "for the whole ensemble, so combine networks of one size (e.g. Inception-v4 and "
                "Inception-ResNet-v2, both 299)"
            )
        weights = [1.0] * len(models) if weights is None else list(weights)
        if len(weights) != len(models) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"need one non-negative weight per model ({len(models)}), got {weights}")
        self.members = nn.ModuleList(models)
        self.register_buffer("weights", torch.tensor(weights) / sum(weights), persistent=False)
        self.default_image_size = sizes.pop()
        self.num_classes = getattr(models[0], "num_classes", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probabilities = sum(
            weight * member(to_model_input(x, member)).float().softmax(dim=1)
            for weight, member in zip(self.weights, self.members)
        )
        return probabilities.clamp_min(torch.finfo(torch.float32).tiny).log()
