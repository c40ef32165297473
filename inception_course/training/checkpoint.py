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
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer

CHECKPOINT_PATTERN = re.compile(r"^step_(\d+)\.pt$")
REQUIRED_KEYS = (
    "model", "optimizer", "scheduler", "step", "epoch", "batch_in_epoch", "rng", "history", "config", "wall_time",
    "skipped_steps",
)


def checkpoint_path(folder: str | os.PathLike, step: int) -> Path:
    return Path(folder) / f"step_{step:08d}.pt"


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Checkpoint files in ``folder``, oldest step first (temporary files excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := CHECKPOINT_PATTERN.match(p.name))]
    return [p for _, p in sorted(found)]


def save_checkpoint(
    state: dict[str, Any], folder: str | os.PathLike, step: int, keep: int = 3, protect: Path | None = None
) -> Path:
    """Write ``state`` atomically as ``folder/step_<step>.pt``; keep only the newest ``keep``, and
    ``protect`` (the trainer's newest healthy checkpoint, to go back to after a NaN)."""
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
    except (OSError, RuntimeError) as error:
        cause = os_error_in(error)
        if cause is None:
            raise
        raise OSError(
            cause.errno, f"cannot write checkpoint {final} ({cause.strerror}): free space on that disk or"
            " choose another --out; the older checkpoints are kept"
        ) from error
    finally:
        tmp.unlink(missing_ok=True)
    for old in list_checkpoints(folder)[:-keep]:
        if old != protect:
            old.unlink(missing_ok=True)
    return final


def os_error_in(error: BaseException) -> OSError | None:
    """The ``OSError`` behind ``error``: torch reports a full disk as a ``RuntimeError`` ("unexpected
    pos ...") whose context is the real ``OSError`` ("No space left on device")."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def non_finite_parts(state: dict[str, Any]) -> list[str]:
    """Which of ``state["model"]``, ``["ema"]`` and ``["optimizer"]`` hold a NaN or infinite value
    (one device synchronisation per device). A checkpoint with any is never written or resumed."""
    bad = []
    for part in ("model", "ema", "optimizer"):
        flags: dict[torch.device, list[torch.Tensor]] = {}
        for t in _tensors(state.get(part)):
            if t.is_floating_point():
                flags.setdefault(t.device, []).append(torch.isfinite(t).all())
        if not all(bool(torch.stack(group).all()) for group in flags.values()):
            bad.append(part)
    return bad


def _tensors(value: Any) -> list[torch.Tensor]:
    """Every tensor inside nested dicts, lists and tuples."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


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


def latest_checkpoint(
    folder: str | os.PathLike,
    map_location: str | torch.device = "cpu",
    problem: Callable[[dict[str, Any]], str | None] | None = None,
) -> tuple[Path, dict] | None:
    """The newest checkpoint in ``folder`` that loads, holds only finite values and (when given)
    has no ``problem(state)``, as ``(path, state)``; ``None`` if there is none. Each file passed
    over is named in a warning that says why."""
    for path in reversed(list_checkpoints(folder)):
        try:
            state = load_checkpoint(path, map_location)
        except ValueError as err:
            warnings.warn(f"skipping {err}", stacklevel=2)
            continue
        bad = non_finite_parts(state)
        found = f"its {' and '.join(bad)} state holds NaN or infinite values" if bad else problem and problem(state)
        if not found:
            return path, state
        warnings.warn(f"skipping checkpoint {path}: {found}", stacklevel=2)
    return None


def restore_problem(state: dict[str, Any], model: nn.Module, ema: nn.Module | None, optimizer: Optimizer) -> str | None:
    """Why ``state`` cannot be restored into ``model``, its weight average ``ema`` (the averaged module) and
    ``optimizer`` (missing or unexpected keys, tensors of another size), or ``None`` if it can."""
    parts = [("model", state["model"], model)]
    if ema is not None:
        saved = state.get("ema")
        if not isinstance(saved, dict):
            return "it holds no weight average (ema), which this run keeps"
        parts.append(("weight average", saved.get("module"), ema))
    for name, saved, module in parts:
        problem = _state_dict_problem(saved, module.state_dict())
        if problem:
            return f"its {name} does not fit this network: {problem}"
    saved_groups = state["optimizer"].get("param_groups", []) if isinstance(state["optimizer"], dict) else []
    sizes = [len(g.get("params", ())) for g in saved_groups]
    if sizes != [len(g["params"]) for g in optimizer.param_groups]:
        return f"its optimiser state has parameter groups of {sizes} tensors, this optimiser {[len(g['params']) for g in optimizer.param_groups]}"
    return None


def _state_dict_problem(saved: dict[str, Any], expected: dict[str, torch.Tensor]) -> str | None:
    """Missing keys, unexpected keys and size mismatches, at most three of each, on one line."""
    if not isinstance(saved, dict):
        return f"a {type(saved).__name__} instead of a state dict"
    missing = [k for k in expected if k not in saved]
    unexpected = [k for k in saved if k not in expected]
    resized = [
        f"{k} {tuple(saved[k].shape)} saved, {tuple(v.shape)} here" for k, v in expected.items()
        if k in saved and isinstance(saved[k], torch.Tensor) and saved[k].shape != v.shape
    ]
    found = [(what, items) for what, items in (("missing", missing), ("unexpected", unexpected), ("size", resized)) if items]
    return "; ".join(
        f"{what} {', '.join(items[:3])}" + (f" and {len(items) - 3} more" if len(items) > 3 else "") for what, items in found
    ) or None


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
    """Restore what :func:`rng_state` saved.

    A checkpoint holds one CUDA state per GPU the writer saw; resumed on fewer GPUs (8 saved, 1
    here), the first ones are restored and a warning says so: the run continues, but is not
    bit-identical to one on the original machine.
    """
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        saved, here = list(state["cuda"]), torch.cuda.device_count()
        if len(saved) != here:
            warnings.warn(
                f"the checkpoint holds the random state of {len(saved)} GPUs and this machine has {here}: "
                f"restoring {min(len(saved), here)}, so random draws on the GPU will differ from the original run",
                stacklevel=2,
            )
        torch.cuda.set_rng_state_all(saved[:here])
