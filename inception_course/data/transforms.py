"""Inception preprocessing: one function, :func:`transforms_for`, gives a model's transforms.

Training (Szegedy et al. 2015, "Going deeper with convolutions", kept by every later Inception):
a crop covering a random 8%-100% of the image area with a random aspect ratio between 3/4 and 4/3,
resized to the input size, plus a random horizontal flip.

Evaluation ("single crop" in the papers' tables): resize the shorter side to
``image_size / crop_fraction`` and cut the central ``image_size`` square, so a crop fraction of
0.875 keeps the central 87.5% of the shorter side (299 px out of 342).

Pixels end in ``[-1, 1]`` (``x / 127.5 - 1``), the scaling the TF-slim/timm Inception weights
were trained with. All transforms take a PIL image or a ``uint8`` ``C x H x W`` tensor.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import v2

DEFAULT_IMAGE_SIZE = 299
DEFAULT_CROP_FRACTION = 0.875
TRAIN_AREA = (0.08, 1.0)
TRAIN_ASPECT = (3 / 4, 4 / 3)


class InputSpec(NamedTuple):
    """How a model's reference weights expect their input."""

    image_size: int
    crop_fraction: float
    interpolation: InterpolationMode


# The reference weights' preprocessing: timm's pretrained_cfg for the TF-ported Inception weights,
# torchvision's ImageNet recipe (resize 256, crop 224) for GoogLeNet. BN-Inception ("inception_v2"
# here) was designed for 224 px inputs like GoogLeNet.
MODEL_INPUTS: dict[str, InputSpec] = {
    "googlenet": InputSpec(224, 0.875, InterpolationMode.BILINEAR),
    "inception_v2": InputSpec(224, 0.875, InterpolationMode.BILINEAR),
    "inception_v3": InputSpec(299, 0.875, InterpolationMode.BICUBIC),
    "inception_v4": InputSpec(299, 0.875, InterpolationMode.BICUBIC),
    "inception_resnet_v1": InputSpec(299, 0.875, InterpolationMode.BICUBIC),
    "inception_resnet_v2": InputSpec(299, 0.8975, InterpolationMode.BICUBIC),
}
_DEFAULT_SPEC = InputSpec(DEFAULT_IMAGE_SIZE, DEFAULT_CROP_FRACTION, InterpolationMode.BILINEAR)


def input_spec(model_name: str | None) -> InputSpec:
    """The :class:`InputSpec` of ``model_name`` (``None``: 299 px, crop 0.875, bilinear)."""
    if model_name is None:
        return _DEFAULT_SPEC
    if model_name not in MODEL_INPUTS:
        raise ValueError(
            f"no input settings for model {model_name!r}; known: {', '.join(sorted(MODEL_INPUTS))}"
            " (pass model_name=None for the 299 px defaults)"
        )
    return MODEL_INPUTS[model_name]


def to_uint8_tensor() -> v2.Transform:
    """PIL image or tensor -> plain ``uint8`` ``C x H x W`` tensor (RGB), no resizing."""
    return v2.Compose([v2.ToImage(), v2.ToDtype(torch.uint8, scale=True), v2.ToPureTensor()])


class SignedUnitRange:
    """``uint8`` image -> ``float32`` tensor in ``[-1, 1]``: torchvision's ``ToDtype(float32,
    scale=True)`` then ``Normalize(0.5, 0.5)``, read from a 256-entry table of their results.

    Bit for bit what the two transforms compute (the table holds their output for every byte), at
    a fraction of their cost per call: the synthetic set transforms every image it draws, in the
    training process, where two torchvision transforms cost about as much as drawing the image.
    Other inputs (float tensors, ``tv_tensors``) go through the two transforms themselves.
    """

    def __init__(self) -> None:
        self.slow = v2.Compose(
            [v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3), v2.ToPureTensor()]
        )
        self.table = self.slow(torch.arange(256, dtype=torch.uint8).expand(3, 1, 256))[0, 0]  # same in every channel

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if type(image) is torch.Tensor and image.dtype == torch.uint8:
            return self.table[image.long()]
        return self.slow(image)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def to_signed_unit_range() -> SignedUnitRange:
    """``uint8`` image -> ``float32`` tensor in ``[-1, 1]`` (see :class:`SignedUnitRange`)."""
    return SignedUnitRange()


def transforms_for(
    model_name: str | None,
    image_size: int | None = None,
    train: bool = False,
    crop_fraction: float | None = None,
) -> v2.Transform:
    """The Inception transforms for ``model_name`` (see the module docstring).

    Args:
        model_name: a name from :data:`MODEL_INPUTS` (sets the default size, crop fraction and
            resampling filter of its reference weights), or ``None`` for 299 px / 0.875.
        image_size: side of the square output; defaults to the model's (299, or 224 for
            ``googlenet`` and ``inception_v2``).
        train: random-area crop + flip when True, resize + central crop when False.
        crop_fraction: evaluation only; the fraction of the resized shorter side that the central
            crop keeps (defaults to the model's, usually 0.875).

    Returns:
        a transform mapping a PIL image or ``uint8`` tensor to a ``float32`` ``3 x S x S`` tensor
        in ``[-1, 1]``.
    """
    spec = input_spec(model_name)
    size = image_size or spec.image_size
    fraction = crop_fraction or spec.crop_fraction
    if not 0 < fraction <= 1:
        raise ValueError(f"crop_fraction must be in (0, 1], got {fraction}")
    if train:
        geometry = [
            v2.RandomResizedCrop(
                size, scale=TRAIN_AREA, ratio=TRAIN_ASPECT, interpolation=spec.interpolation, antialias=True
            ),
            v2.RandomHorizontalFlip(),
        ]
    else:
        geometry = [
            v2.Resize(int(size / fraction), interpolation=spec.interpolation, antialias=True),
            v2.CenterCrop(size),
        ]
    return v2.Compose([to_uint8_tensor(), *geometry, to_signed_unit_range()])
