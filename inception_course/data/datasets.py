"""One entry point for every data set: :func:`build_dataset`.

=============  =====================================================  ==========================
name           what                                                   options
=============  =====================================================  ==========================
synthetic      procedural shapes, no files (the default everywhere)   num_classes, num_images,
                                                                      seed, level
fashion_mnist  Zalando's 28 x 28 clothes photos, 60,000 + 10,000      train_images, val_images,
               (Debian package, a folder, or downloadable)            folder
imagenette     fast.ai's 10 easy ImageNet classes, downloadable       size, skip_bad_images
imagewoof      fast.ai's 10 dog breeds (hard), downloadable           size, skip_bad_images
imagenet       ILSVRC-2012 from a folder you provide                  skip_bad_images
imagenet100    CMC's 100-class subset, read from that same folder     skip_bad_images
=============  =====================================================  ==========================

Every data set yields ``(float tensor 3 x S x S in [-1, 1], int label)`` and has ``classes``
(names) and ``num_classes``. Synthetic and Fashion-MNIST images are preprocessed by their data set;
other real images get the split's Inception transforms
(:func:`~inception_course.data.transforms.transforms_for`: random crops for ``train``, a central
crop for ``val``) unless ``transform`` replaces them. Downloads and extracted archives live under
``inception_course.config.data_root(root)``: ``root``, else ``$INCEPTION_COURSE_DATA``, else
``~/.cache/inception_course``.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any, Callable

from torch.utils.data import Dataset

from ..config import data_root, is_fast
from .classes import IMAGENETTE_WNIDS, IMAGEWOOF_WNIDS, imagenet_names_for
from .downloads import ARCHIVES, prepare_archive
from .fashion_mnist import fashion_mnist
from .folder import FolderDataset, scan_class_folders
from .imagenet import imagenet100_dataset, imagenet_dataset
from .synthetic import SyntheticShapes
from .transforms import DEFAULT_IMAGE_SIZE, transforms_for

SPLITS = ("train", "val")
#: Data sets that preprocess their own tensors (no PIL transform from :func:`transforms_for`).
TENSOR_DATASETS = frozenset({"synthetic", "fashion_mnist"})
FAST_SYNTHETIC_IMAGE_SIZE = 75  # the smallest input every Inception network accepts
SYNTHETIC_NUM_IMAGES = {"train": 10_000, "val": 2_000}
FAST_SYNTHETIC_NUM_IMAGES = {"train": 640, "val": 160}


def _synthetic(
    split, root, image_size, download, transform, num_classes=10, num_images=None, seed=0, level="easy"
):
    if num_images is None:  # 0 is not "unset": SyntheticShapes refuses it
        num_images = (FAST_SYNTHETIC_NUM_IMAGES if is_fast() else SYNTHETIC_NUM_IMAGES)[split]
    return SyntheticShapes(split, num_classes, num_images, image_size, seed, level, transform)


def _fastai_subset(name: str, wnids: list[str]) -> Callable[..., Dataset]:
    def build(split, root, image_size, download, transform, size=None, skip_bad_images=False):
        size = size or ("160" if is_fast() else "320")
        if size not in ARCHIVES[name]:
            raise ValueError(f"unknown {name} size {size!r}; choose one of: {', '.join(ARCHIVES[name])}")
        folder = prepare_archive(ARCHIVES[name][size], data_root(root), download)
        samples = scan_class_folders(folder / split, wnids)
        return FolderDataset(samples, imagenet_names_for(wnids), transform, skip_bad_images, wnids)

    return build


def _user_folder(reader: Callable[..., FolderDataset]) -> Callable[..., Dataset]:
    def build(split, root, image_size, download, transform, skip_bad_images=False):
        if download:
            warnings.warn("ImageNet cannot be downloaded automatically (image-net.org needs an account)")
        return reader(split, root, transform, skip_bad_images)

    return build


# A builder takes (split, root, image_size, download, transform), then its own keyword options;
# build_dataset reads those option names from its signature to reject unknown ones.
_BUILDERS: dict[str, Callable[..., Dataset]] = {
    "synthetic": _synthetic,
    "fashion_mnist": fashion_mnist,
    "imagenette": _fastai_subset("imagenette", IMAGENETTE_WNIDS),
    "imagewoof": _fastai_subset("imagewoof", IMAGEWOOF_WNIDS),
    "imagenet": _user_folder(imagenet_dataset),
    "imagenet100": _user_folder(imagenet100_dataset),
}


def list_datasets() -> list[str]:
    """Names accepted by :func:`build_dataset`."""
    return list(_BUILDERS)


def default_image_size(name: str) -> int:
    """The image side used when ``image_size`` is not given (smaller synthetic images in fast mode)."""
    if name == "fashion_mnist" or (name == "synthetic" and is_fast()):
        return FAST_SYNTHETIC_IMAGE_SIZE  # 28 px photos: a larger input only costs time
    return DEFAULT_IMAGE_SIZE


def build_dataset(
    name: str,
    split: str,
    root: str | Path | None = None,
    image_size: int | None = None,
    download: bool = False,
    transform: Callable | None = None,
    **options: Any,
) -> Dataset:
    """The data set ``name``'s ``split``, preprocessed for ``image_size`` (see the module docstring).

    Args:
        name: one of :func:`list_datasets`.
        split: ``"train"`` or ``"val"``.
        root: data root (default: :func:`inception_course.config.data_root`); for ImageNet also
            the folder holding ``train/`` and ``val/``.
        image_size: output side in pixels (default: :func:`default_image_size`).
        download: fetch missing or corrupt archives (Imagenette/Imagewoof only).
        transform: replaces the default transform; it receives a PIL image (a ``uint8`` tensor
            for ``synthetic``, a ``1 x 28 x 28`` one for ``fashion_mnist``) and should return a tensor.
        **options: the data set's own options (table above).

    Raises:
        ValueError: unknown name, split or option value (the message lists the valid ones).
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown data set {name!r}; choose one of: {', '.join(_BUILDERS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    builder = _BUILDERS[name]
    valid_options = list(inspect.signature(builder).parameters)[5:]
    unknown = sorted(set(options) - set(valid_options))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for {name!r}; valid: {', '.join(valid_options)}")
    image_size = image_size or default_image_size(name)
    if transform is None and name not in TENSOR_DATASETS:
        transform = transforms_for(None, image_size, train=split == "train")
    return builder(split, root, image_size, download, transform, **options)
