"""ImageNet (ILSVRC-2012) and ImageNet-100 read from a folder the user provides.

ImageNet cannot be downloaded automatically (it needs an account at image-net.org). Accepted
layouts, all with one folder per class named by its WordNet id:

* ``<dir>/train/<wnid>/*.JPEG`` and ``<dir>/val/<wnid>/*.JPEG``: plain ImageFolders, which is also
  what ``torchvision.datasets.ImageNet`` leaves after it has parsed the archives;
* the same under ``<dir>/ILSVRC/Data/CLS-LOC/`` (Kaggle's copy, once its flat ``val/`` is sorted
  into class folders).

``<dir>`` is ``root`` when it holds ``train/``/``val/``, else ``<root>/imagenet`` (``root``
defaults to the course data root). ImageNet-100 reads only its 100 class folders of that same tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..config import data_root
from .classes import imagenet100_wnids, imagenet_class_names, imagenet_names_for, imagenet_wnids
from .errors import DatasetNotFoundError
from .folder import IMAGE_EXTENSIONS, FolderDataset, scan_class_folders

_LAYOUTS = (".", "imagenet", "imagenet/ILSVRC/Data/CLS-LOC", "ILSVRC/Data/CLS-LOC")


def find_imagenet_split(root: str | Path | None, split: str) -> Path:
    """The folder holding ``split``'s class folders, or an error listing where it was looked for."""
    base = data_root(root)
    candidates = [(base / layout / split).resolve() for layout in _LAYOUTS]
    for candidate in candidates:
        if candidate.is_dir():
            _check_not_flat(candidate)
            return candidate
    looked = "\n  ".join(str(c) for c in candidates)
    raise DatasetNotFoundError(
        f"ImageNet '{split}' folder not found. Looked for:\n  {looked}\n"
        f"Expected <dir>/{split}/<wnid>/<image>.JPEG (e.g. {split}/n01440764/...), one folder per "
        "class. ImageNet needs a manual download from image-net.org; pass root=<dir> or set "
        "INCEPTION_COURSE_DATA to the folder that holds imagenet/."
    )


def _check_not_flat(split_dir: Path) -> None:
    """The raw validation archive unpacks to 50 000 loose images: say how to sort them."""
    with_images = next((p for p in split_dir.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS), None)
    if with_images is not None:
        raise DatasetNotFoundError(
            f"{split_dir} holds images directly (e.g. {with_images.name}) instead of class folders. "
            "Sort them into <wnid>/ sub-folders first: torchvision.datasets.ImageNet(root, split='val') "
            "does it from the devkit archive, or use the widely shared valprep.sh script."
        )


def imagenet_dataset(
    split: str,
    root: str | Path | None = None,
    transform: Callable | None = None,
    skip_bad_images: bool = False,
) -> FolderDataset:
    """The full 1000-class ImageNet ``split``; labels follow the standard class index."""
    wnids = imagenet_wnids()
    samples = scan_class_folders(find_imagenet_split(root, split), wnids)
    return FolderDataset(samples, imagenet_class_names(), transform, skip_bad_images, wnids)


def imagenet100_dataset(
    split: str,
    root: str | Path | None = None,
    transform: Callable | None = None,
    skip_bad_images: bool = False,
) -> FolderDataset:
    """ImageNet-100 (CMC's list) read in place from a full ImageNet tree; label ``i`` = i-th sorted wnid."""
    wnids = imagenet100_wnids()
    samples = scan_class_folders(find_imagenet_split(root, split), wnids)
    return FolderDataset(samples, imagenet_names_for(wnids), transform, skip_bad_images, wnids)
