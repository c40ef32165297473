"""Image folders (``<split>/<class folder>/<image>``) read as ``(image, label)`` pairs.

Imagenette, Imagewoof, ImageNet and ImageNet-100 all use this layout with WordNet ids as class
folder names; :func:`scan_class_folders` lists the images of chosen class folders, so ImageNet-100
reads a full ImageNet tree in place without copying anything.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps
from torch.utils.data import Dataset

from .errors import BadImageError, DatasetNotFoundError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff")


def scan_class_folders(split_dir: Path, class_folders: Sequence[str]) -> list[tuple[str, int]]:
    """``(path, label)`` for every image in ``split_dir/<class_folders[label]>/``.

    Raises :class:`DatasetNotFoundError` listing the class folders that are missing.
    """
    missing = [name for name in class_folders if not (split_dir / name).is_dir()]
    if missing:
        listed = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise DatasetNotFoundError(
            f"{split_dir} lacks {len(missing)} of the {len(class_folders)} expected class folders "
            f"({listed}). Expected one sub-folder per class, named by its WordNet id, holding that "
            f"class's images: {split_dir}/<wnid>/<image>.JPEG"
        )
    samples = []
    for label, name in enumerate(class_folders):
        with os.scandir(split_dir / name) as entries:
            files = sorted(e.name for e in entries if e.name.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            warnings.warn(
                f"class folder {split_dir / name} holds no images ({', '.join(IMAGE_EXTENSIONS)}): its class"
                " will never be seen in training. Add its images, or remove the folder.",
                stacklevel=2,
            )
        samples.extend((os.path.join(split_dir, name, f), label) for f in files)
    if not samples:
        raise DatasetNotFoundError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) under {split_dir}/<class>/")
    return samples


def to_8_bit(image: Image.Image) -> Image.Image:
    """A 16-bit or float single-channel image as 8-bit grey; other modes unchanged.

    PIL's ``convert("RGB")`` clips such pixels to [0, 255] instead of rescaling them, which turns
    a 16-bit PNG white and a [0, 1] float TIFF black. 16-bit integers span [0, 65535]; float images
    span [0, 1] (the usual convention), or [0, 255] when a value is above 1.
    """
    if image.mode != "F" and not image.mode.startswith("I"):
        return image
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        scale = 255.0 if values.size == 0 or np.nanmax(values) <= 1.0 else 1.0
    else:
        scale = 255.0 / 65535.0
    return Image.fromarray(np.clip(np.rint(np.nan_to_num(values) * scale), 0, 255).astype(np.uint8), mode="L")


def to_rgb(image: Image.Image) -> Image.Image:
    """``image`` as an upright 8-bit RGB image, whatever its mode.

    The EXIF orientation is applied (a phone photo taken upright is stored sideways with a tag
    saying so). Transparent pixels (RGBA, LA, a palette with transparency) are laid on white, as
    an image viewer shows them: dropping the alpha channel would show whatever colour the
    invisible pixels happen to hold, often black. CMYK, palette and 1-bit images are converted;
    16-bit and float images are rescaled first (:func:`to_8_bit`).
    """
    image = ImageOps.exif_transpose(to_8_bit(image))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    return image.convert("RGB")


def load_rgb(path: str) -> Image.Image:
    """Decode an image file as upright RGB (:func:`to_rgb`), raising :class:`BadImageError` naming
    the file if it can't (truncated or invalid files, images large enough to be decompression bombs,
    and anything that is not a regular file: opening a FIFO named ``x.jpg`` would wait forever)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise OSError("not a regular file: a folder, FIFO, socket or device")
        with Image.open(path) as image:
            return to_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:  # truncated/invalid/huge
        raise BadImageError(
            f"cannot read image {path} ({error}). Delete or replace the file, or pass skip_bad_images=True"
            " (command line: --data-kwargs '{\"skip_bad_images\": true}') to skip unreadable images with a warning."
        ) from error


class FolderDataset(Dataset):
    """``(transform(image), label)`` pairs from a list of ``(path, label)`` samples.

    Args:
        samples: from :func:`scan_class_folders`.
        classes: human-readable class names, ``classes[label]``.
        transform: applied to the RGB PIL image.
        skip_bad_images: when an image cannot be decoded, warn and return the next readable one
            instead of raising :class:`BadImageError` (the epoch keeps its length).
        wnids: the class folders' WordNet ids, kept for reference.
    """

    def __init__(
        self,
        samples: list[tuple[str, int]],
        classes: list[str],
        transform: Callable | None = None,
        skip_bad_images: bool = False,
        wnids: list[str] | None = None,
    ) -> None:
        self.samples, self.classes, self.transform = samples, classes, transform
        self.num_classes = len(classes)
        self.skip_bad_images = skip_bad_images
        self.wnids = wnids
        self.targets = [label for _, label in samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        for offset in range(len(self.samples)):
            path, label = self.samples[(index + offset) % len(self.samples)]
            try:
                image = load_rgb(path)
            except BadImageError as error:
                if not self.skip_bad_images:
                    raise
                warnings.warn(f"skipping unreadable image: {error.__cause__} ({path})", stacklevel=2)
                continue
            return (self.transform(image) if self.transform else image), label
        raise BadImageError("no readable image in this data set")
