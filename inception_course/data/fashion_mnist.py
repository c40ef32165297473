"""Fashion-MNIST: real photographs of clothes, small enough to train on a CPU.

Zalando's Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) has 60,000 training and 10,000 test images
of 28 x 28 grey pixels in 10 classes; Dive into Deep Learning trains its GoogLeNet and ResNet
chapters on it. The course uses it where the synthetic set is too easy to say anything: a few
thousand synthetic images are memorised within a few epochs, while 60,000 real ones are not (see
lessons 6 and 8).

The four IDX files (``train-images-idx3-ubyte[.gz]`` ...) are looked for, in order, in the
``folder`` option, in ``<data root>/fashion_mnist``, in torchvision's download folder
``<data root>/FashionMNIST/raw`` and in Debian's ``/usr/share/datasets/fashion-mnist`` (``apt
install dataset-fashion-mnist``). ``download=True`` fetches them with torchvision's
``FashionMNIST`` when none is found.

Each image is upscaled (bilinear) to the network's input, scaled to [-1, 1] as Inception
preprocessing does, and repeated over three channels. The training split can draw a fresh sample
of ``train_images`` images each epoch (:attr:`FashionMNIST.epoch_size`, read by the trainer's
sampler: which images an epoch sees is a function of ``(seed, epoch)``, so resuming stays exact);
the validation split is the first ``val_images`` of the 10,000 test images (all by default).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from ..config import data_root, is_fast, writable_folder
from .errors import DatasetNotFoundError

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "val": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")
#: Fast mode (tests, CI): a few hundred images an epoch, so that a notebook cell takes seconds.
FAST_IMAGES = {"train": 640, "val": 160}
IDX_TYPES = {0x08: np.uint8}


def candidate_folders(root: str | Path | None = None, folder: str | Path | None = None) -> list[Path]:
    """Where the IDX files are looked for, in order (see the module docstring)."""
    base = data_root(root)
    found = [Path(folder).expanduser()] if folder is not None else []
    return found + [base / "fashion_mnist", base / "FashionMNIST" / "raw", DEBIAN_FOLDER]


def _idx_path(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def find_folder(root: str | Path | None = None, folder: str | Path | None = None) -> Path | None:
    """The first candidate folder that holds all four IDX files, or ``None``."""
    stems = [stem for pair in FILES.values() for stem in pair]
    for candidate in candidate_folders(root, folder):
        if all(_idx_path(candidate, stem) for stem in stems):
            return candidate
    return None


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally gzipped) as a uint8 array of its stated shape.

    IDX: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then each
    dimension as a big-endian 32-bit integer, then the data.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise DatasetNotFoundError(f"{path} is not an IDX file of unsigned bytes: delete it and fetch the data set again")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DatasetNotFoundError(
            f"{path} holds {body.size} values where its header says {shape}: a truncated file; delete it and fetch it again"
        )
    return body.reshape(shape)


def _download(root: str | Path | None) -> Path:
    """Fetch the files with torchvision (into ``<data root>/FashionMNIST/raw``)."""
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    base = writable_folder(data_root(root))
    TorchvisionFashionMNIST(str(base), train=True, download=True)
    return base / "FashionMNIST" / "raw"


def upscale(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """uint8 ``N x 28 x 28`` (or ``28 x 28``) grey images -> float ``N x 3 x S x S`` in [-1, 1]."""
    single = images.dim() == 2
    x = images.reshape(-1, 1, *images.shape[-2:]).float()
    if x.shape[-1] != image_size:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    x = (x / 127.5 - 1.0).clamp_(-1.0, 1.0).expand(-1, 3, -1, -1)
    return x[0] if single else x


class FashionMNIST(Dataset):
    """One split of Fashion-MNIST, yielding ``(3 x S x S float tensor in [-1, 1], label)``.

    ``transform``, when given, replaces the upscaling: it receives the ``1 x 28 x 28`` uint8 image.
    ``epoch_size`` (training split with ``train_images``): how many images one epoch draws.
    """

    classes = list(CLASSES)
    num_classes = len(CLASSES)

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, image_size: int, transform: Callable | None = None,
        epoch_size: int | None = None,
    ) -> None:
        if len(images) != len(labels):
            raise DatasetNotFoundError(f"{len(images)} images but {len(labels)} labels: the IDX files do not belong together")
        self.images = torch.from_numpy(np.array(images))  # a writable copy
        self.labels = torch.from_numpy(labels.astype(np.int64))
        self.image_size = image_size
        self.transform = transform
        self.epoch_size = epoch_size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        x = self.transform(image[None]) if self.transform is not None else upscale(image, self.image_size)
        return x, int(self.labels[index])


def fashion_mnist(
    split: str, root: str | Path | None, image_size: int, download: bool, transform: Callable | None = None,
    train_images: int | None = None, val_images: int | None = None, folder: str | Path | None = None,
) -> FashionMNIST:
    """The ``split`` of Fashion-MNIST (see the module docstring for the options)."""
    for name, value, limit in (("train_images", train_images, 60_000), ("val_images", val_images, 10_000)):
        if value is not None and not 1 <= value <= limit:
            raise ValueError(f"{name} must be between 1 and {limit:,}, got {value}")
    if is_fast():
        train_images = train_images or FAST_IMAGES["train"]
        val_images = val_images or FAST_IMAGES["val"]
    location = find_folder(root, folder)
    if location is None:
        if not download:
            places = ", ".join(str(p) for p in candidate_folders(root, folder))
            raise DatasetNotFoundError(
                f"Fashion-MNIST's four IDX files are in none of {places}: pass download=True (--download),"
                " or install Debian's package (apt install dataset-fashion-mnist), or name their folder"
                " with folder=... (--data-kwargs '{\"folder\": \"...\"}')"
            )
        location = _download(root)
    image_stem, label_stem = FILES[split]
    images = read_idx(_idx_path(location, image_stem))
    labels = read_idx(_idx_path(location, label_stem))
    if images.ndim != 3 or labels.ndim != 1:
        raise DatasetNotFoundError(f"{location}: the {split} IDX files have shapes {images.shape} and {labels.shape}")
    if split == "val" and val_images is not None:
        images, labels = images[:val_images], labels[:val_images]
    epoch_size = train_images if split == "train" and train_images is not None and train_images < len(images) else None
    return FashionMNIST(images, labels, image_size, transform, epoch_size)
