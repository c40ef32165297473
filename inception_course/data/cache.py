"""Decode a data set once and keep it as ``uint8`` tensors at a reduced size.

A GPU trains on Imagenette faster than two CPU cores decode its JPEGs. :func:`cache_dataset`
decodes every image once, resizes its shorter side to ``short_side`` (keeping the aspect ratio, so
random crops still see the whole picture), and stores all of them in one file. Later epochs read
that file through a memory map and run only the crop/flip transforms, on tensors.

Memory: the images are held in RAM while the cache is built (Imagenette at 160 px: about 1 GB for
the training split); the file is written atomically (temporary name, then renamed).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from ..config import data_root, writable_folder
from ..progress import progress_bar
from .datasets import build_dataset, default_image_size
from .loaders import default_num_workers
from .transforms import to_uint8_tensor, transforms_for

CACHE_FORMAT = 1


class _Shrunk(Dataset):
    """``(uint8 image with shorter side short_side, label)`` from a data set of raw images."""

    def __init__(self, source: Dataset, short_side: int) -> None:
        self.source = source
        self.resize = v2.Compose([to_uint8_tensor(), v2.Resize(short_side, antialias=True)])

    def __len__(self) -> int:
        return len(self.source)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.source[index]
        if isinstance(image, torch.Tensor) and image.is_floating_point():
            raise ValueError(
                "cache_dataset needs raw images (PIL or uint8 tensors), got float tensors: build the "
                "data set with transform=inception_course.data.transforms.to_uint8_tensor()"
            )
        return self.resize(image), int(label)


class CachedDataset(Dataset):
    """A cache file written by :func:`cache_dataset`, read through a memory map.

    Items are ``(transform(uint8 3 x H x W tensor), label)``; ``classes`` and ``num_classes`` come
    from the cached data set.
    """

    def __init__(self, path: str | Path, transform: Callable | None = None) -> None:
        self.path = Path(path)
        store = torch.load(self.path, mmap=True, weights_only=True)
        if store.get("format") != CACHE_FORMAT:
            raise ValueError(f"{self.path} is not a cache file of this version; delete it to rebuild")
        self.data, self.offsets, self.shapes = store["data"], store["offsets"], store["shapes"]
        self.labels, self.classes = store["labels"], list(store["classes"])
        self.num_classes, self.short_side = len(self.classes), int(store["short_side"])
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        shape = tuple(self.shapes[index].tolist())
        start = int(self.offsets[index])
        image = self.data[start : start + shape[0] * shape[1] * shape[2]].view(shape)
        return (self.transform(image) if self.transform else image), int(self.labels[index])


def cache_dataset(
    dataset_or_name: Dataset | str,
    split: str = "train",
    short_side: int = 160,
    path: str | Path | None = None,
    root: str | Path | None = None,
    image_size: int | None = None,
    transform: Callable | None = None,
    num_workers: int | None = None,
    **options: Any,
) -> CachedDataset:
    """A :class:`CachedDataset` of ``dataset_or_name``, built on the first call and reused after.

    Args:
        dataset_or_name: a :func:`build_dataset` name, or a data set yielding raw images (PIL or
            ``uint8`` tensors, e.g. built with ``transform=to_uint8_tensor()``).
        split: the split to cache (for a name), and whether the default transform augments
            (``"train"``) or centre-crops (``"val"``).
        short_side: the stored images' shorter side in pixels; keep it at or above ``image_size``.
        path: the cache file; default ``<data root>/cache/<name>-<split>-<short_side>[-options].pt``
            (required when a data set object is given).
        image_size, transform: the transform run on every read (default:
            ``transforms_for(None, image_size, train=split == "train")``).
        **options: passed to :func:`build_dataset` (``size``, ``download``, ``num_classes``...).
    """
    download = options.pop("download", False)
    if isinstance(dataset_or_name, str):
        name = dataset_or_name
        if path is None:
            tags = "".join(f"-{key}={value}" for key, value in sorted(options.items()))
            path = data_root(root) / "cache" / f"{name}-{split}-{short_side}{tags}.pt"
        image_size = image_size or default_image_size(name)
    elif path is None:
        raise ValueError("pass path=... to cache a data set object (only named data sets get a default path)")
    path = Path(path)
    if not path.is_file():
        if isinstance(dataset_or_name, str):
            raw = to_uint8_tensor()
            source = build_dataset(dataset_or_name, split, root, download=download, transform=raw, **options)
        else:
            source = dataset_or_name
        _write_cache(_Shrunk(source, short_side), path, short_side, num_workers)
    if transform is None:
        transform = transforms_for(None, image_size, train=split == "train")
    cached = CachedDataset(path, transform)
    if cached.short_side != short_side:
        raise ValueError(f"{path} holds images with short side {cached.short_side}, not {short_side}")
    return cached


def _write_cache(source: _Shrunk, path: Path, short_side: int, num_workers: int | None) -> None:
    workers = default_num_workers() if num_workers is None else num_workers
    images, shapes, labels = [], [], []
    loader = DataLoader(source, batch_size=None, num_workers=workers)
    for image, label in progress_bar(loader, total=len(source), desc=f"caching {path.name}"):
        images.append(image.reshape(-1))
        shapes.append(tuple(image.shape))
        labels.append(label)
    sizes = torch.tensor([image.numel() for image in images], dtype=torch.int64)
    store = {
        "format": CACHE_FORMAT,
        "data": torch.cat(images),
        "offsets": torch.cumsum(sizes, 0) - sizes,
        "shapes": torch.tensor(shapes, dtype=torch.int64),
        "labels": torch.tensor(labels, dtype=torch.int64),
        "classes": list(source.source.classes),
        "short_side": short_side,
    }
    writable_folder(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    os.close(fd)
    try:
        torch.save(store, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
