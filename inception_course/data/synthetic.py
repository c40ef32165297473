"""The embedded default data set: procedurally drawn shapes, nothing to download or store.

Each class is one (shape, texture) pair, e.g. "ring/stripes". The object's size (from a small
fraction of the image to nearly all of it), position, rotation and colours are random, so the
network has to recognise the same pattern at very different scales and places: the situation the
Inception module's parallel 1x1 / 3x3 / 5x5 branches were designed for. Textures are drawn in the
object's own coordinates, so they shrink and grow with it.

Every image is a pure function of ``(seed, split, index)`` (NumPy's PCG64 generator seeded with
those three numbers), so the same seed gives the same pixels on every machine, and the images are
drawn on demand in ``__getitem__`` instead of being stored.

``level="hard"`` makes the task harder for GPU-sized networks: smaller objects on average, a noisy
cluttered background, smaller distractor objects of other classes (the label belongs to the largest
object), weaker contrast and a colour jitter.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from .transforms import to_signed_unit_range

SHAPES = ("disk", "square", "triangle", "diamond", "ring", "cross", "ellipse")
TEXTURES = ("solid", "stripes", "checker", "dots")
LEVELS = ("easy", "hard")
SPLIT_IDS = {"train": 0, "val": 1}
MIN_IMAGE_SIZE = 32
#: Drawn images are kept in memory (they are a pure function of their index, so a later epoch
#: reads what an earlier one drew) while the whole split fits in this many bytes.
CACHE_BYTES = 64 * 2**20
MAX_CLASSES = len(SHAPES) * len(TEXTURES)
SHAPE_EXTENT = 1.15  # every unit-radius shape lies within this distance of its centre (square corners: 1.10)


def class_pairs(num_classes: int) -> list[tuple[str, str]]:
    """The (shape, texture) of each class. The first ``len(SHAPES)`` classes all differ in shape
    and their textures cycle, so small class counts stay easy to tell apart."""
    if not 2 <= num_classes <= MAX_CLASSES:
        raise ValueError(f"num_classes must be between 2 and {MAX_CLASSES}, got {num_classes}")
    n = len(SHAPES)
    return [(SHAPES[k % n], TEXTURES[(k % n + k // n) % len(TEXTURES)]) for k in range(num_classes)]


def _shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside-test of a unit-radius shape centred at the origin (``u``, ``v`` object coordinates)."""
    au, av = np.abs(u), np.abs(v)
    if shape == "disk":
        return u * u + v * v <= 1.0
    if shape == "square":
        return np.maximum(au, av) <= 0.78
    if shape == "triangle":
        return (v >= -0.5) & (v <= 1.0 - np.sqrt(3.0) * au)
    if shape == "diamond":
        return au + av <= 1.0
    if shape == "ring":
        r2 = u * u + v * v
        return (r2 <= 1.0) & (r2 >= 0.3)
    if shape == "cross":
        return ((au <= 0.3) & (av <= 1.0)) | ((av <= 0.3) & (au <= 1.0))
    if shape == "ellipse":
        return u * u + (v * v) / 0.2 <= 1.0
    raise ValueError(f"unknown shape {shape!r}")


def _texture_mask(texture: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Which object pixels take the first of the object's two colours."""
    if texture == "solid":
        return np.ones_like(u, dtype=bool)
    if texture == "stripes":
        return np.sin(2.5 * np.pi * u) > 0
    if texture == "checker":
        return np.sin(2.5 * np.pi * u) * np.sin(2.5 * np.pi * v) > 0
    if texture == "dots":
        fu, fv = u * 2.0 - np.round(u * 2.0), v * 2.0 - np.round(v * 2.0)
        return fu * fu + fv * fv > 0.09
    raise ValueError(f"unknown texture {texture!r}")


def _distinct_colours(rng: np.random.Generator, contrast: float) -> tuple[np.ndarray, np.ndarray]:
    """A background colour and an object colour whose mean brightness differs by ``contrast``."""
    background = rng.uniform(0.0, 1.0, 3)
    shift = contrast if background.mean() < 0.5 else -contrast
    hue = rng.uniform(-0.35, 0.35, 3)
    colour = np.clip(background.mean() + shift + hue, 0.0, 1.0)
    return background, colour


class SyntheticShapes(Dataset):
    """Shapes-and-textures classification (see the module docstring).

    Args:
        split: ``"train"`` or ``"val"`` (different images from the same distribution).
        num_classes: 2 to ``MAX_CLASSES`` (28).
        num_images: images in this split.
        image_size: side of the square images, in pixels (the course uses 75 to 299).
        seed: together with ``split`` and the index, fixes every pixel.
        level: ``"easy"`` or ``"hard"``.
        transform: applied to the ``uint8`` ``3 x S x S`` image; default: scale to ``[-1, 1]``.

    Items are ``(image, label)`` with ``label = index % num_classes`` (balanced classes).
    """

    def __init__(
        self,
        split: str = "train",
        num_classes: int = 10,
        num_images: int = 1000,
        image_size: int = 75,
        seed: int = 0,
        level: str = "easy",
        transform: Callable | None = None,
    ) -> None:
        if split not in SPLIT_IDS:
            raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLIT_IDS)}")
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; choose one of: {', '.join(LEVELS)}")
        if image_size < MIN_IMAGE_SIZE:
            raise ValueError(f"image_size must be at least {MIN_IMAGE_SIZE} px, got {image_size}")
        if num_images < 1:
            raise ValueError(f"num_images must be positive, got {num_images}")
        self.pairs = class_pairs(num_classes)
        self.classes = [f"{shape}/{texture}" for shape, texture in self.pairs]
        self.num_classes = num_classes
        self.split, self.num_images, self.image_size = split, num_images, image_size
        self.seed, self.level = seed, level
        self.transform = transform if transform is not None else to_signed_unit_range()
        grid = (np.arange(image_size, dtype=np.float32) + 0.5) / image_size
        self._y, self._x = np.meshgrid(grid, grid, indexing="ij")
        # Drawing costs about as much as a small network's training step on one core: keep what
        # was drawn when the split fits in CACHE_BYTES (the same pixels, only drawn once).
        fits = num_images * image_size * image_size * 3 <= CACHE_BYTES
        self._drawn: dict[int, np.ndarray] | None = {} if fits else None

    def __len__(self) -> int:
        return self.num_images

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if not 0 <= index < self.num_images:
            raise IndexError(f"index {index} out of range for {self.num_images} images")
        label = index % self.num_classes
        if self._drawn is None:
            pixels = self.draw(index)
        else:
            pixels = self._drawn.get(index)
            if pixels is None:
                pixels = self._drawn[index] = self.draw(index)
        image = torch.from_numpy(pixels).permute(2, 0, 1).contiguous()  # a copy: the cached pixels stay as drawn
        return self.transform(image), label

    def draw(self, index: int) -> np.ndarray:
        """The ``index``-th image as a ``uint8`` ``S x S x 3`` array."""
        rng = np.random.Generator(np.random.PCG64([self.seed, SPLIT_IDS[self.split], index]))
        hard = self.level == "hard"
        background, colour = _distinct_colours(rng, contrast=0.25 if hard else 0.4)
        image = self._background(rng, background, hard)
        if hard:
            for _ in range(rng.integers(1, 4)):
                other = self.pairs[rng.integers(self.num_classes)]
                _, distractor_colour = _distinct_colours(rng, contrast=0.25)
                self._paint(image, rng, other, distractor_colour, radius=rng.uniform(0.05, 0.12))
        radius = rng.uniform(0.12, 0.3) if hard else rng.uniform(0.15, 0.45)
        self._paint(image, rng, self.pairs[index % self.num_classes], colour, radius)
        if hard:
            image = image * rng.uniform(0.7, 1.3, 3) + rng.uniform(-0.1, 0.1, 3)
            image += rng.normal(0.0, 0.06, image.shape)
        return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    def _background(self, rng: np.random.Generator, colour: np.ndarray, hard: bool) -> np.ndarray:
        """A colour with a gentle random gradient; in hard mode also random stripes of clutter."""
        tilt = rng.uniform(-0.15, 0.15, 2)
        shade = tilt[0] * (self._x - 0.5) + tilt[1] * (self._y - 0.5)
        image = colour + shade[..., None]
        if hard:
            angle, freq = rng.uniform(0, np.pi), rng.uniform(3, 12)
            waves = np.sin(freq * np.pi * (np.cos(angle) * self._x + np.sin(angle) * self._y))
            image = image + 0.12 * waves[..., None] * rng.uniform(-1, 1, 3)
        return image.astype(np.float32)

    def _paint(
        self,
        image: np.ndarray,
        rng: np.random.Generator,
        pair: tuple[str, str],
        colour: np.ndarray,
        radius: float,
    ) -> None:
        """Draw one object of ``pair`` in place: random centre (kept mostly inside) and rotation."""
        cx, cy = rng.uniform(radius * 0.8, 1 - radius * 0.8, 2)
        angle = rng.uniform(0, 2 * np.pi)
        # Only the pixels of the object's bounding box (every shape fits in radius * SHAPE_EXTENT).
        size = self.image_size
        reach = radius * SHAPE_EXTENT
        rows = slice(max(int((cy - reach) * size), 0), min(int((cy + reach) * size) + 1, size))
        cols = slice(max(int((cx - reach) * size), 0), min(int((cx + reach) * size) + 1, size))
        cos, sin = np.cos(angle), np.sin(angle)
        dx, dy = (self._x[rows, cols] - cx) / radius, (self._y[rows, cols] - cy) / radius
        u, v = cos * dx + sin * dy, -sin * dx + cos * dy
        shape, texture = pair
        inside = _shape_mask(shape, u, v)
        first = _texture_mask(texture, u, v)
        second_colour = colour * 0.45 + (1 - colour) * 0.1  # a darker shade of the same hue
        box = image[rows, cols]
        box[inside & first] = colour
        box[inside & ~first] = second_colour
