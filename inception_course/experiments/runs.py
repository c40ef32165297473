"""Recorded runs: read the trainer's run directories and turn their history into curves.

A run directory (written by :class:`inception_course.training.Trainer`) holds ``config.json`` (the
settings, the command and the environment) and ``history.jsonl`` (one record per line: ``"train"``
records every few steps, ``"val"`` records after each evaluation). Runs shipped with the course live
in the repository's ``data/results/`` and also carry a ``provenance.json`` (the recording command,
device, torch version, date, data set, image size) written by :mod:`.record`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..training.history import History, load_history

RESULTS_ENV = "INCEPTION_COURSE_RESULTS"
REPO_RESULTS_DIR = Path(__file__).resolve().parents[2] / "data" / "results"

METRICS: dict[str, tuple[str, str]] = {
    "top1": ("val_top1_err", "validation top-1 error (fraction)"),
    "top5": ("val_top5_err", "validation top-5 error (fraction)"),
    "loss": ("val_loss", "validation loss"),
    "train_loss": ("train_loss", "training loss"),
    "zero_fraction": ("zero_fraction", "exactly-zero fraction of the last feature map"),
    "grad_norm": ("grad_norm", "global gradient norm (before clipping)"),
}
"""Metric name -> (history field, axis label)."""

X_AXES: dict[str, str] = {"epoch": "epoch", "wall_time": "wall-clock time (s)", "step": "step"}


def results_dir(path: str | os.PathLike | None = None) -> Path:
    """Where recorded runs live: ``path``, else ``$INCEPTION_COURSE_RESULTS``, else the repository's
    ``data/results/`` (present in a clone of the course, e.g. on Colab after ``git clone``)."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(RESULTS_ENV)
    return Path(env).expanduser() if env else REPO_RESULTS_DIR


@dataclass
class Run:
    """One run directory: its settings, its history and (for shipped runs) provenance."""

    path: Path
    config: dict
    history: History
    provenance: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    def setting(self, key: str, default=None):
        """The first non-null ``key`` in ``provenance.json``, else in ``config.json`` (top level,
        then its sections: the trainer keeps settings under ``"config"``, the machine elsewhere)."""
        for source in (self.provenance, self.config):
            for section in (source, *(v for v in source.values() if isinstance(v, dict))):
                if section.get(key) is not None:
                    return section[key]
        return default

    @property
    def label(self) -> str:
        """``"model (data set, device)"`` - every plotted curve says where its numbers come from."""
        return f"{self.setting('model', self.name)} ({self.setting('data', '?')}, {self.setting('device', '?')})"

    def curve(self, metric: str = "top1", x: str = "epoch") -> tuple[list[float], list[float]]:
        """``(xs, ys)`` for ``metric`` (a key of :data:`METRICS`) against ``x`` (a key of :data:`X_AXES`).

        Validation metrics come from ``"val"`` records, training ones from ``"train"`` records;
        records missing the field are skipped.
        """
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)}")
        if x not in X_AXES:
            raise ValueError(f"unknown x axis {x!r}; choose one of {sorted(X_AXES)}")
        key = METRICS[metric][0]
        records = self.history.val if key.startswith("val_") else self.history.train
        points = [(r[x], r[key]) for r in records if r.get(key) is not None and r.get(x) is not None]
        return [p[0] for p in points], [p[1] for p in points]


def load_run(path: str | os.PathLike) -> Run:
    """Read one run directory (``config.json`` + ``history.jsonl``, optional ``provenance.json``)."""
    path = Path(path)
    if not (path / "history.jsonl").is_file():
        raise FileNotFoundError(
            f"{path} is not a run directory (no history.jsonl); runs are written by"
            " inception_course.training.Trainer, recorded ones live in data/results/"
        )
    config_file, provenance_file = path / "config.json", path / "provenance.json"
    config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    provenance = json.loads(provenance_file.read_text()) if provenance_file.is_file() else {}
    return Run(path, config, load_history(path), provenance)


def list_runs(path: str | os.PathLike | None = None) -> list[Run]:
    """Every run directory directly under ``path`` (default :func:`results_dir`), sorted by name."""
    root = results_dir(path)
    if not root.is_dir():
        raise FileNotFoundError(
            f"no results folder at {root}; clone the course repository (it ships data/results/) or"
            f" pass the folder that holds your run directories (or set ${RESULTS_ENV})"
        )
    return [load_run(d) for d in sorted(root.iterdir()) if (d / "history.jsonl").is_file()]


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with ``weight`` in [0, 1) (0 = raw values), debiased like
    TensorBoard's so the first points are not pulled towards zero. Non-finite values pass through."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    out, average, norm = [], 0.0, 0.0
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        average = weight * average + (1 - weight) * v
        norm = weight * norm + (1 - weight)
        out.append(average / norm)
    return out
