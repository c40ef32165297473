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
import re
import statistics
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
    def recorded(self) -> bool:
        """True for runs shipped with their ``provenance.json`` (``data/results/``), False for runs
        trained in a notebook or by a widget."""
        return bool(self.provenance)

    @property
    def seed(self) -> int | None:
        return self.setting("seed")

    @property
    def origin(self) -> str:
        """``""`` for a recorded run; else ``", trained here <when>"``: the date and time the run
        started (UTC, from its ``config.json``), in one format whether a widget's button or a cell
        trained it; the run directory's name where no date was recorded."""
        if self.recorded:
            return ""
        date = str(self.setting("date", ""))
        return f", trained here {date[:10]} {date[11:19]} UTC" if len(date) >= 19 else f", trained here {self.name}"

    @property
    def label(self) -> str:
        """``"model (data set, device), seed N"``, plus ``", trained here <tag or time>"`` for a run
        that is not a recorded one: every plotted curve says where its numbers come from, and a run
        you trained never carries the same label as a recorded one."""
        seed = "" if self.seed is None else f", seed {self.seed}"
        return f"{self.setting('model', self.name)} ({self.setting('data', '?')}, {self.setting('device', '?')}){seed}{self.origin}"

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


#: Settings that do not make two runs different experiments: the seed (what a group varies), where
#: the run went, and bookkeeping that leaves the numbers unchanged.
NOT_GROUPED = frozenset(
    {"seed", "out", "resume", "data_root", "download", "num_workers", "log_every", "checkpoint_every",
     "keep_checkpoints", "compile", "cudnn_benchmark", "device", "zero_fraction_warn"}
)
SEED_SUFFIX = re.compile(r"-s\d+$")


def group_key(run: Run) -> str:
    """What must match for runs to be seeds of one experiment: the folder they are in, the model,
    the device they ran on and every setting except :data:`NOT_GROUPED` (a ``seed`` inside
    ``data_kwargs`` is ignored too)."""
    settings = dict(run.config.get("config", {}))
    settings = {k: v for k, v in settings.items() if k not in NOT_GROUPED}
    if isinstance(settings.get("data_kwargs"), dict):
        settings["data_kwargs"] = {k: v for k, v in settings["data_kwargs"].items() if k != "seed"}
    return json.dumps(
        [str(run.path.parent), run.setting("model"), run.setting("device"), SEED_SUFFIX.sub("", run.name), settings],
        sort_keys=True, default=str,
    )


@dataclass
class RunGroup:
    """Runs of one experiment that differ only in their seed (see :func:`group_runs`)."""

    runs: list[Run]

    @property
    def name(self) -> str:
        """The runs' directory name without its ``-s<seed>`` suffix."""
        return SEED_SUFFIX.sub("", self.runs[0].name)

    @property
    def id(self) -> str:
        """A stable identity (the folder and :attr:`name`): what a widget keys colours on."""
        return str(self.runs[0].path.parent / self.name)

    @property
    def seeds(self) -> list:
        return [run.seed for run in self.runs]

    @property
    def label(self) -> str:
        """The single run's label, or ``"model (data, device), median of N seeds"``."""
        if len(self.runs) == 1:
            return self.runs[0].label
        first = self.runs[0]
        return (f"{first.setting('model', self.name)} ({first.setting('data', '?')}, {first.setting('device', '?')}),"
                f" median of {len(self.runs)} seeds{first.origin}")

    def setting(self, key: str, default=None):
        return self.runs[0].setting(key, default)

    def band(self, metric: str = "top1", x: str = "epoch", common: bool = True) -> tuple[list[float], list[float], list[float], list[float]]:
        """``(xs, median, low, high)`` of ``metric`` across the seeds, point by point.

        Points are matched by epoch (validation metrics) or step (training metrics), so wall time
        works too: its x is the median time at which the seeds reached that point. ``common=True``
        keeps only the points every seed has; ``False`` keeps every point, over the seeds that have
        it (e.g. runs that stopped early).
        """
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)}")
        if x not in X_AXES:
            raise ValueError(f"unknown x axis {x!r}; choose one of {sorted(X_AXES)}")
        field = METRICS[metric][0]
        align = "epoch" if field.startswith("val_") else "step"
        per_run = []
        for run in self.runs:
            records = run.history.val if field.startswith("val_") else run.history.train
            rows = [r for r in records if all(r.get(k) is not None for k in (align, x, field))]
            per_run.append({round(r[align], 6): (r[x], r[field]) for r in rows})
        points = set.intersection(*(set(d) for d in per_run)) if common else set.union(*(set(d) for d in per_run))
        xs, median, low, high = [], [], [], []
        for key in sorted(points):
            values = [d[key] for d in per_run if key in d]
            ys = [v[1] for v in values]
            xs.append(statistics.median(v[0] for v in values))
            median.append(statistics.median(ys))
            low.append(min(ys))
            high.append(max(ys))
        return xs, median, low, high


def group_runs(runs: Sequence[Run]) -> list[RunGroup]:
    """``runs`` grouped by :func:`group_key` (same experiment, different seeds), in first-seen
    order, each group's runs sorted by seed. A run directory listed twice counts once."""
    groups: dict[str, list[Run]] = {}
    seen: set[Path] = set()
    for run in runs:
        path = run.path.resolve()
        if path not in seen:
            seen.add(path)
            groups.setdefault(group_key(run), []).append(run)
    return [RunGroup(sorted(rs, key=lambda r: (r.seed is None, r.seed or 0, r.name))) for rs in groups.values()]
