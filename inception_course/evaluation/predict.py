"""``predict(model, image)``: the top-5 classes of one photo, with probabilities.

The photo goes through the same evaluation transform as the data sets
(:func:`inception_course.data.transforms_for`: resize, central crop, pixels to [-1, 1]), then
through :func:`~inception_course.models.pretrained.to_model_input`, so published weights that expect
another normalisation get it. The network that runs is ``fuse_for_inference(model)`` unless
``fuse=False`` (the same outputs up to float rounding; the copy is made per call, so for many
photos fuse once yourself and pass the fused copy). On a CPU with native bf16 the fused copy computes
in bfloat16 and one line says so (``bf16=False`` for float32, ``bf16=True`` to force it; see
:mod:`~inception_course.evaluation.precision`).
"""

from __future__ import annotations

import os
from typing import Sequence

import torch
from PIL import Image
from torch import nn

from ..data import imagenet_class_names, transforms_for
from ..data.errors import BadImageError
from ..data.folder import load_rgb, to_rgb
from ..models.fuse import fuse_for_inference
from ..models.pretrained import to_model_input
from .crops import central_crop
from .evaluate import check_positive_int, crop_settings
from .precision import inference_dtype

ImageInput = str | os.PathLike | Image.Image | torch.Tensor


def _prepare(image: ImageInput, model: nn.Module, image_size: int | None) -> torch.Tensor:
    """One ``(1, 3, S, S)`` [-1, 1] batch from a path, a PIL image, or a tensor."""
    settings = crop_settings(model, image_size)
    if isinstance(image, (str, os.PathLike)):
        image = _read(os.fspath(image))
    if isinstance(image, Image.Image):
        image = to_rgb(image)  # RGBA, CMYK, palette, 1-bit, 16-bit: 3 channels, upright
    if isinstance(image, torch.Tensor):
        image = _checked_tensor(image)
    if isinstance(image, torch.Tensor) and not image.is_floating_point():
        if image.dim() != 3 or image.shape[0] != 3:
            layout = " (channels last: use image.permute(2, 0, 1))" if image.dim() == 3 and image.shape[-1] == 3 else ""
            raise ValueError(
                f"predict() takes an integer image tensor as (3, H, W), got shape {tuple(image.shape)}{layout}"
            )
    if isinstance(image, torch.Tensor) and image.is_floating_point():
        # Already in [-1, 1]: only the geometry of the evaluation transform is left to do.
        if image.dim() == 4 and len(image) == 1:
            image = image[0]
        if image.dim() != 3 or image.shape[0] != 3:
            raise ValueError(f"predict() takes one image (3, H, W), got a tensor of shape {tuple(image.shape)}")
        return central_crop(image, settings["crop_size"], settings["crop_fraction"], settings["interpolation"])[None]
    if not isinstance(image, (Image.Image, torch.Tensor)):
        raise ValueError(
            f"predict() takes a file path, a PIL image or an image tensor, got {type(image).__name__}"
        )
    name = (getattr(model, "pretrained_cfg", None) or {}).get("model")
    transform = transforms_for(name, settings["crop_size"], train=False, crop_fraction=settings["crop_fraction"])
    return transform(image)[None]


def _checked_tensor(image: torch.Tensor) -> torch.Tensor:
    """``uint8`` pixels or ``float32`` values, or a ``ValueError`` that says what to pass instead."""
    if image.dtype == torch.bool or image.is_complex():
        raise ValueError(
            f"predict() takes uint8 pixels (0-255) or floats in [-1, 1], got a {image.dtype} tensor: "
            "for a black-and-white mask use (mask.to(torch.uint8) * 255).expand(3, -1, -1)"
        )
    if image.is_floating_point():
        if not torch.isfinite(image).all():
            raise ValueError("predict() got an image tensor with NaN or infinite values: check how it was made")
        return image.float()
    if image.dtype != torch.uint8:
        if image.numel() and (image.min() < 0 or image.max() > 255):
            raise ValueError(
                f"predict() takes integer pixels from 0 to 255, got a {image.dtype} tensor with values from "
                f"{int(image.min())} to {int(image.max())}: pass uint8 pixels or floats in [-1, 1]"
            )
        return image.to(torch.uint8)
    return image


def _read(path: str) -> Image.Image:
    """The RGB image at ``path``, or a ``ValueError`` / ``FileNotFoundError`` that names it (a folder
    or FIFO is a ``ValueError`` from :func:`load_rgb`, which never opens them)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"predict(): no image file at {path}: check the path")
    try:
        return load_rgb(path)
    except BadImageError as error:
        raise ValueError(
            f"predict(): cannot read {path} as an image ({error.__cause__}): pass a JPEG or PNG file"
        ) from error


@torch.no_grad()
def predict(
    model: nn.Module,
    image: ImageInput,
    topk: int = 5,
    class_names: Sequence[str] | None = None,
    image_size: int | None = None,
    fuse: bool = True,
    bf16: bool | None = None,
) -> list[tuple[str, float]]:
    """The ``topk`` most probable ``(class name, probability)`` pairs for ``image``.

    ``image`` is a file path, a PIL image, a ``uint8`` tensor ``(3, H, W)``, or a float tensor
    already in [-1, 1]; it is resized and centre-cropped to ``image_size`` (default: the model's
    ``default_image_size``). ``class_names`` default to the 1000 ImageNet names for a 1000-class
    model; pass ``dataset.classes`` for a network trained on another data set. ``fuse=False`` runs
    ``model`` itself instead of its :func:`~inception_course.models.fuse_for_inference` copy. ``bf16``:
    compute that copy in bfloat16 (default: on a CPU with native bf16 only, said in one line).
    """
    if not isinstance(topk, int) or topk < 1:
        raise ValueError(f"topk must be a positive number of classes, got {topk!r}")
    if image_size is not None:
        check_positive_int(image_size, "image_size", "the side of the square input in pixels; None: the model's")
    outputs = getattr(model, "num_classes", None)
    if class_names is None:
        if outputs != 1000:
            raise ValueError(
                f"this model has {outputs} classes, not ImageNet's 1000: pass class_names (e.g. dataset.classes)"
            )
        class_names = imagenet_class_names()
    batch = _prepare(image, model, image_size)
    device = next(model.parameters()).device
    if bf16 and not fuse:
        raise ValueError("bf16=True computes fuse_for_inference's copy in bfloat16: leave fuse=True")
    dtype, precision_note = inference_dtype(False if not fuse else bf16, device)
    was_training = model.training
    model.eval()
    try:
        net = fuse_for_inference(model, dtype=dtype) if fuse else model
        if precision_note:
            print(f"predict: {precision_note}")
        logits = net(to_model_input(batch.to(device), model))
    finally:
        model.train(was_training)
    probabilities = logits.float().softmax(dim=1)[0]
    if len(class_names) != len(probabilities):
        raise ValueError(f"{len(class_names)} class names for a model with {len(probabilities)} outputs")
    top = probabilities.topk(min(topk, len(probabilities)))
    return [(class_names[i], float(p)) for p, i in zip(top.values.tolist(), top.indices.tolist())]
