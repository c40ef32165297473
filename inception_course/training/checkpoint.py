"""Checkpoints that survive a disconnect: atomic writes, and resumption that skips broken files.

A checkpoint is written to a temporary file in the same folder, flushed to disk, then renamed over
its final name with ``os.replace`` (atomic on POSIX and Windows). A run killed mid-write therefore
leaves a stray ``.tmp`` file, never a half-written ``step_*.pt``. Files damaged later (a copy cut
off, a full disk on another machine) are still possible, so :func:`latest_checkpoint` tries the
newest first and reports by path every file it cannot read.

Exact resumption needs more than weights: the random-number generators (Python, NumPy, PyTorch CPU
and CUDA) and the position in the data order are saved too (:func:`rng_state`).
"""

from __future__ import annotations

import os
import random
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_PATTERN = re.compile(r"^step_(\d+)\.pt$")
REQUIRED_KEYS = ("model", "optimizer", "scheduler", "step", "epoch", "batch_in_epoch", "rng", "history", "config")


def checkpoint_path(folder: str | os.PathLike, step: int) -> Path:
    return Path(folder) / f"step_{step:08d}.pt"


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Checkpoint files in ``folder``, oldest step first (temporary files excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := CHECKPOINT_PATTERN.match(p.name))]
    return [p for _, p in sorted(found)]


def save_checkpoint(state: dict[str, Any], folder: str | os.PathLike, step: int, keep: int = 3) -> Path:
    """Write ``state`` atomically as ``folder/step_<step>.pt``; keep only the newest ``keep``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final = checkpoint_path(folder, step)
    tmp = folder / f".{final.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    for old in list_checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return final


def remove_stale_temporaries(folder: str | os.PathLike) -> None:
    """Delete ``.tmp`` files left by a run killed while writing."""
    folder = Path(folder)
    if folder.is_dir():
        for p in folder.glob(".step_*.tmp"):
            p.unlink(missing_ok=True)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load one checkpoint; raise ``ValueError`` naming the file when it is unreadable or incomplete."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise ValueError(f"checkpoint {path} is unreadable ({type(err).__name__}: {err})") from err
    missing = [k for k in REQUIRED_KEYS if k not in state] if isinstance(state, dict) else list(REQUIRED_KEYS)
    if missing:
        raise ValueError(f"checkpoint {path} is incomplete (missing {', '.join(missing)})")
    return state


def latest_checkpoint(folder: str | os.PathLike, map_location: str | torch.device = "cpu") -> tuple[Path, dict] | None:
    """The newest checkpoint in ``folder`` that loads, as ``(path, state)``; ``None`` if there is
    none. Each unreadable file is reported with a warning naming it, then skipped."""
    for path in reversed(list_checkpoints(folder)):
        try:
            return path, load_checkpoint(path, map_location)
        except ValueError as err:
            warnings.warn(f"skipping {err}", stacklevel=2)
    return None


def rng_state() -> dict[str, Any]:
    """Every random-number generator's state, in types ``torch.load(weights_only=True)`` accepts."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
