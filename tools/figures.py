"""Render the course's key figures from the library into lessons/figures/, so that GitHub, nbviewer
and a phone show them without running anything (the notebooks are stored without outputs).

    python tools/figures.py            # every figure
    python tools/figures.py inception_a lesson08_v3_vs_ir_v1   # only these
    python tools/figures.py --list     # the names, and the lesson that embeds each

Each figure is drawn by the same library call a lesson makes (block diagrams by ``models.draw``,
recorded curves by ``experiments.plots`` from ``data/results/``), so a committed picture cannot
drift from the code: ``tests/tools/test_figures.py`` redraws every one and compares pixels. After
changing a drawing function or the recorded runs, rerun this command and commit the PNGs.

Rendering is deterministic: the Agg backend, a fixed dpi, matplotlib's default style, and the
pixels re-encoded by Pillow with a 64-colour palette (files of tens of KB) and no metadata (no
date, no software version).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Callable, NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch import nn  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import inception_course as ic  # noqa: E402 - after making the repository importable
from inception_course.experiments import (  # noqa: E402
    list_runs, load_scaling_run, pair_of, plot_runs, plot_scaling_experiment, results_dir,
)
from inception_course.experiments.residual_vs_plain import PAIR_TITLES  # noqa: E402
from inception_course.experiments.scaling import DEFAULT_LR  # noqa: E402
from inception_course.models.draw import draw, draw_network  # noqa: E402
from inception_course.models.draw_residual import draw_residual_blocks  # noqa: E402
from inception_course.models.googlenet import TABLE_1, InceptionModule  # noqa: E402
from inception_course.models.inception_resnet import RESNET_A_FILTERS, InceptionResNetA  # noqa: E402
from inception_course.models.inception_v4 import InceptionA  # noqa: E402
from inception_course.models.layers import ConvBNReLU, InceptionBlock  # noqa: E402

FIGURES_DIR = REPO / "lessons" / "figures"
DPI = 80  # small files (tens of KB) that stay legible on a phone
COLOURS = 64


class FigureSpec(NamedTuple):
    lesson: str
    draw: Callable[[], Figure]


def _naive_module() -> Figure:
    row = TABLE_1["3a"]
    naive = InceptionBlock([
        ConvBNReLU(192, row.ch1x1, 1, bn=False),
        ConvBNReLU(192, row.ch3x3, 3, padding=1, bn=False),
        ConvBNReLU(192, row.ch5x5, 5, padding=2, bn=False),
        nn.MaxPool2d(3, stride=1, padding=1),
    ])
    return draw(naive, title="Naive Inception module")


def _module_3a() -> Figure:
    return draw(InceptionModule(192, *TABLE_1["3a"], bn=False),
                title="Inception module with dimension reductions (GoogLeNet 3a)")


def _recorded_pair(pair: str) -> Figure:
    runs = [run for run in list_runs(results_dir()) if pair_of(run) == pair]
    fig, (ax_loss, ax_top1) = plt.subplots(1, 2, figsize=(12, 3.8), constrained_layout=True)
    plot_runs(runs, "train_loss", "epoch", ax=ax_loss, title=f"{PAIR_TITLES[pair]}: training loss")
    plot_runs(runs, "top1", "epoch", ax=ax_top1, title="validation top-1 error")
    return fig


def _recorded_scaling(width: float) -> Figure:
    arms = [load_scaling_run(run.path) for run in list_runs(results_dir()) if run.name.startswith("scaling-")]
    arms = [arm for arm in arms if arm.run.setting("width") == width and arm.run.setting("lr") == DEFAULT_LR]
    title = f"recorded: Inception-ResNet-v1, width {width:g}, lr {DEFAULT_LR:g}, 3 seeds (CPU, Fashion-MNIST, 75 px)"
    return plot_scaling_experiment(sorted(arms, key=lambda arm: -arm.scale), title=title)


FIGURES: dict[str, FigureSpec] = {
    "naive_module": FigureSpec("01", _naive_module),
    "module_3a": FigureSpec("01", _module_3a),
    "inception_a": FigureSpec("04", lambda: draw(InceptionA(384), title="Inception-A (35x35, paper Fig. 4)")),
    "inception_v4": FigureSpec("04", lambda: draw_network(ic.create_model("inception_v4", num_classes=1000))),
    "residual_blocks": FigureSpec("05", draw_residual_blocks),
    "inception_resnet_a": FigureSpec("05", lambda: draw(
        InceptionResNetA(256, RESNET_A_FILTERS["inception_resnet_v1"], scale=0.17),
        title="Inception-ResNet-A, scaled residual (paper Fig. 10)")),
    "lesson06_scaling_w0.125": FigureSpec("06", lambda: _recorded_scaling(0.125)),
    "lesson06_scaling_w0.625": FigureSpec("06", lambda: _recorded_scaling(0.625)),
    "lesson08_v3_vs_ir_v1": FigureSpec("08", lambda: _recorded_pair("v3_vs_ir_v1")),
    "lesson08_v4_vs_ir_v2": FigureSpec("08", lambda: _recorded_pair("v4_vs_ir_v2")),
}


def render(name: str) -> bytes:
    """The PNG bytes of figure ``name``, drawn in matplotlib's default style with no file metadata."""
    with plt.style.context("default"):
        figure = FIGURES[name].draw()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        plt.close(figure)
    small = io.BytesIO()
    Image.open(buffer).convert("RGB").quantize(colors=COLOURS).save(small, format="png", optimize=True)
    return small.getvalue()


def pixels(png: bytes) -> np.ndarray:
    """The RGB pixels of a PNG, as integers 0-255 (shape: height, width, 3)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


MAX_CHANGED_PIXELS = 0.002  # antialiasing may differ between library versions; a changed label or curve does not hide in 0.2%


def difference(expected: bytes, actual: bytes) -> str | None:
    """Why two renderings of a figure differ in what they show (``None`` when they agree): a
    different size, or more than :data:`MAX_CHANGED_PIXELS` of the pixels changed by more than an
    eighth of the colour range."""
    old, new = pixels(expected), pixels(actual)
    if old.shape != new.shape:
        return f"size {old.shape[1]}x{old.shape[0]} px became {new.shape[1]}x{new.shape[0]} px"
    changed = float((np.abs(old - new).max(axis=-1) > 32).mean())
    return None if changed <= MAX_CHANGED_PIXELS else f"{changed:.2%} of the pixels changed"


def path_of(name: str) -> Path:
    return FIGURES_DIR / f"{name}.png"


def write(name: str) -> Path:
    """Render ``name`` to lessons/figures/<name>.png (a temporary file, then renamed)."""
    path = path_of(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".png.tmp")
    tmp.write_bytes(render(name))
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="figures to render (default: all)")
    parser.add_argument("--list", action="store_true", help="print the figure names and their lessons")
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in FIGURES.items():
            print(f"{name:28} lesson {spec.lesson}")
        return 0
    unknown = [name for name in args.names if name not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {', '.join(unknown)}; python tools/figures.py --list shows the names")
    for name in args.names or FIGURES:
        path = write(name)
        print(f"{path.relative_to(REPO)}  {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
