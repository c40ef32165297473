"""Ctrl-C and SIGTERM as a clean stop: the command line's handlers only raise a flag; the trainer
reads it after each optimiser step, checkpoints that state and raises :class:`TrainingStopped`.

Stopping between steps (never inside one) is what makes the saved state exact: ``--resume``
continues bit-identically, as from any other checkpoint. A second signal stops at once
(``KeyboardInterrupt``), keeping the last checkpoint. Notebooks install nothing: there Ctrl-C
("interrupt the kernel") stays Python's ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_requested: int | None = None


class TrainingStopped(Exception):
    """The run stopped on a signal after checkpointing its state; ``exit_status`` is 128 + the signal."""

    def __init__(self, signum: int, checkpoint: str | None, run_dir: Path) -> None:
        self.exit_status = 128 + signum
        name = signal.Signals(signum).name
        saved = f"saved {checkpoint}" if checkpoint else "no checkpoint yet"
        super().__init__(
            f"stopped by {name}: {saved}. Continue with: python -m inception_course.train --resume --out {run_dir}"
        )


def stop_requested() -> int | None:
    """The signal that asked the run to stop, or ``None``."""
    return _requested


def _on_signal(signum: int, frame: object) -> None:
    global _requested
    if _requested is not None:  # the second signal: stop now
        raise KeyboardInterrupt
    _requested = signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM ask the trainer to stop after the current step.

    Only the main thread can install signal handlers; elsewhere this does nothing."""
    global _requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _on_signal) for s in STOP_SIGNALS}
    _requested = None
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _requested = None
