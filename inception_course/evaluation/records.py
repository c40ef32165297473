"""Evaluation results and their record files: what was measured, and how, in one JSON file.

:class:`EvalResult` holds counts (top-k correct out of ``n_images``) rather than rounded
percentages, so results can be re-derived and merged. :func:`save_record` writes one or more results
with their provenance (the command, the code version, the device, torch version, date, data set,
crop scheme, number of images) atomically; :func:`load_record` reads them back, for the lessons and
for :func:`~inception_course.evaluation.results_table`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .crops import SCHEMES

RECORD_FORMAT = "inception_course.evaluation.record"
RECORD_VERSION = 1


@dataclass
class EvalResult:
    """Top-k counts of one network (or ensemble) under one crop scheme on one data set.

    ``correct[k]`` images out of ``n_images`` had their label among the top k averaged predictions.
    ``provenance`` says how the numbers were produced (filled by ``evaluate`` and ``save_record``).
    """

    network: str
    scheme: str
    n_images: int
    correct: dict[int, int]
    dataset: str = ""
    models: int = 1
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def n_crops(self) -> int:
        """Views per image under :attr:`scheme`."""
        return SCHEMES[self.scheme]

    def error(self, k: int) -> float:
        """Top-``k`` error in percent."""
        if k not in self.correct:
            raise KeyError(f"top-{k} was not measured; measured: {sorted(self.correct)}")
        return 100.0 * (1 - self.correct[k] / self.n_images) if self.n_images else float("nan")

    @property
    def top1_error(self) -> float:
        return self.error(1)

    @property
    def top5_error(self) -> float:
        return self.error(5)

    @property
    def top1_accuracy(self) -> float:
        return 100.0 - self.top1_error

    @property
    def top5_accuracy(self) -> float:
        return 100.0 - self.top5_error

    def __str__(self) -> str:
        errors = ", ".join(f"top-{k} error {self.error(k):.2f}%" for k in sorted(self.correct))
        return f"{self.network}, {self.scheme} crop(s), {self.n_images} images of {self.dataset or 'a data set'}: {errors}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["correct"] = {str(k): v for k, v in self.correct.items()}  # JSON keys are strings
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvalResult":
        data = dict(data)
        data["correct"] = {int(k): int(v) for k, v in data["correct"].items()}
        return cls(**data)


def write_json_atomic(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as JSON to a temporary file beside ``path``, then rename it over ``path``.

    A crash mid-write leaves the old file intact instead of a truncated one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _code_version() -> dict[str, str]:
    """The package version and, in a git checkout, the commit (marked ``+dirty`` with local edits)."""
    from .. import __version__

    version = {"inception_course": __version__}
    repo = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        version["git_commit"] = commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass  # not a git checkout (an installed package): the version number is all there is
    return version


def save_record(
    path: str | os.PathLike, results: EvalResult | Sequence[EvalResult], command: str | None = None
) -> Path:
    """Write ``results`` with provenance to the JSON file ``path`` (atomically); returns the path.

    ``command`` is how the numbers were produced (default: this process's command line; a notebook
    should pass e.g. ``"lessons/09_evaluation.ipynb, cell 'measure'"``).
    """
    results = [results] if isinstance(results, EvalResult) else list(results)
    if not results:
        raise ValueError("save_record needs at least one EvalResult")
    record = {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "command": command if command is not None else shlex.join([Path(sys.executable).name, *sys.argv]),
        "code": _code_version(),
        "results": [result.to_dict() for result in results],
    }
    return write_json_atomic(path, record)


def load_record(path: str | os.PathLike) -> list[EvalResult]:
    """The results stored by :func:`save_record`; each carries the file's command and code version
    in its ``provenance``."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        message = f"no evaluation record at {path}; produce one with evaluate() and save_record()"
        raise FileNotFoundError(message) from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); was it written by save_record()?") from err
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise ValueError(f"{path} is not an evaluation record (expected format {RECORD_FORMAT!r})")
    if record.get("version", 0) > RECORD_VERSION:
        raise ValueError(f"{path} has record version {record['version']}; upgrade inception-course to read it")
    results = [EvalResult.from_dict(data) for data in record["results"]]
    for result in results:
        result.provenance = {**result.provenance, "command": record["command"], "code": record["code"]}
    return results
