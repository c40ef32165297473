"""One writer per run directory: an exclusive lock on ``<run>/.lock`` while a trainer uses it.

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows), held through
an open file: it goes away with the process however that ends, SIGKILL included, so a killed run
never leaves the folder locked. The file keeps the holder's pid and host for the error message.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import IO

try:
    import fcntl

    def _lock(file: IO[str]) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(file: IO[str]) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _lock(file: IO[str]) -> None:
        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(file: IO[str]) -> None:
        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)


LOCK_FILE = ".lock"


class RunDirectoryInUseError(RuntimeError):
    """Another process (or another trainer in this one) is writing the run directory."""


class StaleTrainerError(RuntimeError):
    """The run folder was advanced by another trainer since this one last wrote to it."""


class RunLock:
    """``acquire()`` creates the run directory if needed and locks it; ``release()`` unlocks."""

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.run_dir = Path(run_dir)
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        """Lock the folder (a no-op when this object holds it already)."""
        if self._file is not None:
            return
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            file = open(self.run_dir / LOCK_FILE, "a+")
        except OSError as error:  # a file in the way, no permission, a read-only disk
            raise OSError(
                error.errno, f"cannot write the run directory {self.run_dir} ({error.strerror}): choose another --out"
            ) from error
        try:
            _lock(file)
        except OSError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            file.close()
            if holder == self._holder():
                hint = "another Trainer in this process holds it: let its fit() end, or call its close()"
            else:
                hint = "wait for it to end, or choose another --out (out=...)"
            raise RunDirectoryInUseError(
                f"{self.run_dir} is in use by another training run ({holder}): {hint}"
            ) from None
        file.seek(0)
        file.truncate()
        file.write(self._holder() + "\n")
        file.flush()
        self._file = file

    @staticmethod
    def _holder() -> str:
        return f"pid {os.getpid()} on {socket.gethostname()}"

    def release(self) -> None:
        if self._file is not None:
            _unlock(self._file)
            self._file.close()
            self._file = None
