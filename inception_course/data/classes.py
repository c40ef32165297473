"""Class lists shipped with the repository in its top-level ``data/`` folder.

* ``data/imagenet_classes.tsv``: the 1000 ILSVRC-2012 classes in class-index order, which is the
  order of the sorted WordNet ids (the order torchvision's ``ImageFolder`` gives and every published
  ImageNet checkpoint uses). The wnids come from the ``LOC_synset_mapping.txt`` of the ILSVRC-2012
  Kaggle release (public copy: github.com/PRIYE/Resnet50_ImageNet1k; identical to timm's
  ``imagenet_synsets.txt``); the short human names are torchvision's
  ``torchvision.models._meta._IMAGENET_CATEGORIES`` (which disambiguates the two "crane"s and
  "maillot"s).
* ``data/imagenet100.txt``: the ImageNet-100 subset of Tian et al., "Contrastive Multiview Coding"
  (2019), from github.com/HobbitLong/CMC/blob/master/imagenet100.txt, the most used 100-class list.

Lines starting with ``#`` are comments (they record the sources above).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SHIPPED_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def shipped_file(name: str) -> Path:
    """Path of a small file shipped in the repository's ``data/`` folder (raises if it is missing)."""
    path = SHIPPED_DATA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"shipped class list {path} is missing. It comes with the inception-course repository "
            "checkout: run from a clone (or `pip install -e .` of one) rather than a copy of the "
            "package folder alone."
        )
    return path


def _data_lines(name: str) -> list[str]:
    lines = shipped_file(name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


# fast.ai's 10-class subsets of ImageNet (github.com/fastai/imagenette), sorted.
IMAGENETTE_WNIDS = [
    "n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
    "n03394916", "n03417042", "n03425413", "n03445777", "n03888257",
]  # fmt: skip
IMAGEWOOF_WNIDS = [
    "n02086240", "n02087394", "n02088364", "n02089973", "n02093754",
    "n02096294", "n02099601", "n02105641", "n02111889", "n02115641",
]  # fmt: skip


@lru_cache(maxsize=None)
def _imagenet_table() -> tuple[tuple[str, str], ...]:
    rows = tuple(tuple(line.split("\t", 1)) for line in _data_lines("imagenet_classes.tsv"))
    if len(rows) != 1000 or any(len(row) != 2 for row in rows):
        raise ValueError(f"{shipped_file('imagenet_classes.tsv')} must hold 1000 'wnid<TAB>name' lines")
    return rows  # type: ignore[return-value]


def imagenet_wnids() -> list[str]:
    """The 1000 ImageNet WordNet ids in class-index order (index ``i`` is logit ``i``)."""
    return [wnid for wnid, _ in _imagenet_table()]


def imagenet_class_names() -> list[str]:
    """Short human-readable names of the 1000 ImageNet classes, in class-index order."""
    return [name for _, name in _imagenet_table()]


def imagenet_names_for(wnids: list[str]) -> list[str]:
    """Human names of the given wnids (for ImageNet subsets such as Imagenette or ImageNet-100)."""
    names = dict(_imagenet_table())
    unknown = [wnid for wnid in wnids if wnid not in names]
    if unknown:
        raise ValueError(f"not ImageNet-1k class ids: {unknown[:5]}")
    return [names[wnid] for wnid in wnids]


def imagenet100_wnids() -> list[str]:
    """The 100 wnids of the CMC ImageNet-100 subset, sorted (so label ``i`` is the i-th sorted wnid)."""
    return sorted(_data_lines("imagenet100.txt"))
