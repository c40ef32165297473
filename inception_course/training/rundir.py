"""What the trainer writes in a run folder, so that it never deletes or overwrites anything else.

A run folder holds ``config.json``, ``history.jsonl``, ``.lock`` and ``checkpoints/`` (plus the
temporaries of atomic writes, which a killed run can leave behind). A new run may start in a folder
that is empty or holds only such files; any other file there is the user's, and the run refuses
the folder rather than overwrite or delete it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .runlock import LOCK_FILE
from .train_config import SettingsError

RUN_ENTRIES = frozenset({"config.json", "history.jsonl", LOCK_FILE, "checkpoints"})
#: The temporaries the trainer's atomic writes use (``checkpoint.save_checkpoint``, ``_write_info``,
#: ``HistoryWriter``): the only files the stale clean-up deletes.
TEMPORARIES = ("config.json.tmp", "history.jsonl.tmp")
CHECKPOINT_TEMPORARY = re.compile(r"^\.step_\d+\.pt\.\d+\.tmp$")


def foreign_entries(run_dir: str | os.PathLike) -> list[str]:
    """Names in ``run_dir`` that the trainer did not write: unknown names, and a ``config.json``
    that is not a run configuration (a JSON object with a ``"config"`` object)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    foreign = [p.name for p in run_dir.iterdir() if p.name not in RUN_ENTRIES | set(TEMPORARIES)]
    config = run_dir / "config.json"
    if config.exists() and not _is_run_config(config):
        foreign.append("config.json")
    return sorted(foreign)


def _is_run_config(path: Path) -> bool:
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(info, dict) and isinstance(info.get("config"), dict)


def check_new_run_folder(run_dir: str | os.PathLike) -> None:
    """Raise :class:`SettingsError` if a new run in ``run_dir`` would overwrite or delete a file it
    did not write (a folder that is not a run folder and not empty)."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        return  # creating the folder fails with its own message
    foreign = foreign_entries(run_dir)
    if foreign:
        listing = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise SettingsError(
            f"--out {run_dir} is not a run folder (it holds {listing}, which the trainer did not write) and a new run"
            " never overwrites or deletes your files: choose a new or empty --out"
        )


def remove_stale_temporaries(run_dir: str | os.PathLike) -> None:
    """Delete the temporaries that a run killed while writing left in ``run_dir`` and in
    ``run_dir/checkpoints``: only the names the trainer uses. Call it only while holding the run's lock."""
    run_dir = Path(run_dir)
    for name in TEMPORARIES:
        (run_dir / name).unlink(missing_ok=True)
    checkpoints = run_dir / "checkpoints"
    if checkpoints.is_dir():
        for p in checkpoints.iterdir():
            if CHECKPOINT_TEMPORARY.match(p.name):
                p.unlink(missing_ok=True)
