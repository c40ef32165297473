"""Data for the course: one entry point, :func:`build_dataset`, from the embedded synthetic set
(no download) up to full ImageNet, with Inception preprocessing and loaders that suit Colab.

>>> from inception_course.data import build_dataset, build_loader
>>> train = build_dataset("synthetic", "train")            # or "imagenette", "imagenet", ...
>>> loader = build_loader(train, batch_size=32, shuffle=True)
"""

from .cache import CachedDataset, cache_dataset
from .classes import imagenet100_wnids, imagenet_class_names, imagenet_wnids
from .datasets import SPLITS, TENSOR_DATASETS, build_dataset, default_image_size, list_datasets
from .fashion_mnist import FashionMNIST
from .errors import (
    BadImageError, ChecksumError, CorruptArchiveError, DatasetNotFoundError, DownloadError, UnsafeArchiveError,
)
from .loaders import build_loader
from .synthetic import SyntheticShapes
from .transforms import MODEL_INPUTS, to_uint8_tensor, transforms_for

__all__ = [
    "build_dataset",
    "list_datasets",
    "default_image_size",
    "SPLITS",
    "transforms_for",
    "to_uint8_tensor",
    "MODEL_INPUTS",
    "build_loader",
    "cache_dataset",
    "CachedDataset",
    "SyntheticShapes",
    "FashionMNIST",
    "TENSOR_DATASETS",
    "imagenet_class_names",
    "imagenet_wnids",
    "imagenet100_wnids",
    "DownloadError",
    "ChecksumError",
    "CorruptArchiveError",
    "UnsafeArchiveError",
    "DatasetNotFoundError",
    "BadImageError",
]
