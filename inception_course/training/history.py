"""``history.jsonl``: one JSON record per line, the file that plots and widgets read.

Records have a ``"kind"``:

* ``"train"`` (every ``log_every`` optimiser steps): ``step``, ``epoch`` (fractional, epochs done),
  ``wall_time`` (seconds of training so far, summed over resumptions), ``train_loss`` (mean over the
  interval), ``lr``, ``images_per_s``, ``skipped_steps`` (fp16 steps the grad scaler skipped, in
  total), ``zero_fraction`` (share of exactly-zero activations in the last feature map, or null),
  ``grad_norm`` (global gradient norm before clipping, at the logged step).
* ``"val"`` (end of every epoch): ``step``, ``epoch``, ``wall_time``, ``val_loss``,
  ``val_top1_err``, ``val_top5_err`` (errors as fractions in [0, 1]), and with weight averaging on
  ``ema_val_loss``, ``ema_val_top1_err``, ``ema_val_top5_err``.
* ``"resume"`` (when a resumed run changed settings, e.g. a lower learning rate): ``step``,
  ``epoch``, ``wall_time``, ``changed`` (``{setting: [old, new]}``).

JSON Lines is appended one line at a time, so a run killed mid-write loses at most its last line;
:func:`load_history` skips such a line with a warning. On resume the file is rewritten from the
checkpoint's copy of the history, so it never holds records of steps that were undone.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

HISTORY_FILE = "history.jsonl"


class History:
    """The records of one run, in order, with the two kinds split out; ``run_dir`` is the run
    directory they belong to (``None`` for records kept only in memory)."""

    def __init__(self, records: Iterable[dict[str, Any]] = (), run_dir: str | os.PathLike | None = None) -> None:
        self.records: list[dict[str, Any]] = list(records)
        self.run_dir = Path(run_dir) if run_dir is not None else None

    @property
    def train(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == "train"]

    @property
    def val(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == "val"]

    def column(self, field: str, kind: str = "val") -> list[Any]:
        """One field of every ``kind`` record, e.g. ``history.column("val_top1_err")``."""
        return [r.get(field) for r in self.records if r.get("kind") == kind]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        last = self.val[-1] if self.val else None
        tail = f", last val top-1 error {last['val_top1_err']:.4f}" if last else ""
        return f"History({len(self.train)} train records, {len(self.val)} val records{tail})"


class HistoryWriter:
    """Appends records to ``run_dir/history.jsonl`` and keeps them in memory as a :class:`History`."""

    def __init__(self, run_dir: str | os.PathLike | None, records: Iterable[dict[str, Any]] = ()) -> None:
        """``run_dir=None`` keeps records in memory only (the non-zero ranks of a distributed run).
        ``records`` (from a checkpoint) replace the file's content."""
        self.history = History(records, run_dir)
        self.path = Path(run_dir) / HISTORY_FILE if run_dir is not None else None
        if self.path is not None:
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in self.history.records))
            os.replace(tmp, self.path)

    def append(self, record: dict[str, Any]) -> None:
        self.history.records.append(record)
        if self.path is not None:
            with open(self.path, "a") as f:
                f.write(json.dumps(record) + "\n")


def load_history(run_dir: str | os.PathLike) -> History:
    """Read ``run_dir/history.jsonl`` (``run_dir`` may also be the file itself)."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / HISTORY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no history file at {path}: is {run_dir} a run directory written by the trainer?")
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            warnings.warn(f"{path}: skipping unreadable line {number} (a run stopped mid-write?)", stacklevel=2)
            continue
        if not isinstance(record, dict):  # valid JSON, but not a record: edited or not a history file
            raise ValueError(
                f"{path}, line {number}: expected a JSON object (a record), got {type(record).__name__} "
                f"{line.strip()[:40]!r}; remove that line, or pass the folder of a run written by the trainer"
            )
        records.append(record)
    return History(records, path.parent)
