"""Course-wide settings read from the environment.

Two switches matter to every lesson and test:

* ``INCEPTION_COURSE_FAST=1`` (fast mode) shrinks images, widths and step counts so that the whole
  course runs on a 2-core CPU in minutes. Notebooks read :func:`is_fast` instead of hard-coding sizes,
  so the same notebook runs full size on a GPU without edits.
* ``INCEPTION_COURSE_DATA`` moves the data root (downloads, extracted archives, caches).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch

FAST_ENV = "INCEPTION_COURSE_FAST"
DATA_ENV = "INCEPTION_COURSE_DATA"
DEFAULT_DATA_ROOT = Path.home() / ".cache" / "inception_course"


def is_fast() -> bool:
    """True when fast mode is on (``INCEPTION_COURSE_FAST`` is 1/true/yes/on)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds data sets: ``root`` if given, else ``$INCEPTION_COURSE_DATA``,
    else ``~/.cache/inception_course``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else DEFAULT_DATA_ROOT


def writable_folder(path: str | os.PathLike) -> Path:
    """``path`` as a folder (created with its parents) that this process can write in.

    Raises ``NotADirectoryError`` (a file stands where a folder must be) or ``PermissionError``
    (a read-only folder or file system) with one line saying how to choose another data root,
    instead of a bare ``[Errno 17] File exists`` or ``[Errno 13] Permission denied``.
    """
    path = Path(path)
    advice = f"pass root=... (command line: --data-root) or set ${DATA_ENV} to a folder you can write to"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise NotADirectoryError(f"{blocker} is a file, not a folder, so no data can be stored in {path}: {advice}") from None
    except OSError as error:
        if not isinstance(error, PermissionError) and error.errno != errno.EROFS:
            raise
        raise PermissionError(f"cannot write in {path} ({error.strerror}): {advice}") from None
    return path


_SCRATCH: list[tempfile.TemporaryDirectory] = []  # one per process, removed when Python exits
SCRATCH_PREFIX = "inception-course-runs-"


def _remove_stale_scratch() -> None:
    """Remove fast-mode folders of processes that no longer run (a kernel killed outright, as test
    runners stop theirs, never gets to clean up after itself)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive but someone else's
            pass


def runs_dir(name: str, timestamp: bool = True) -> Path:
    """The folder (created) where a lesson or a widget writes the runs it trains.

    Outside fast mode: ``<data root>/runs/<name>-<YYYYmmdd-HHMMSS>`` (``<name>`` alone with
    ``timestamp=False``), kept for later. In fast mode (tests, CI, a quick look): a new folder
    ``<name>-*`` inside one temporary directory that lives exactly as long as the Python process -
    the notebook's kernel - so a widget's button still has its folder after "Run All", and nothing
    a fast run trains is left behind.
    """
    if is_fast():
        if not _SCRATCH:
            _remove_stale_scratch()
            _SCRATCH.append(tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=_SCRATCH[0].name))
    return writable_folder(data_root() / "runs" / (f"{name}-{time.strftime('%Y%m%d-%H%M%S')}" if timestamp else name))


def default_device() -> torch.device:
    """CUDA when available, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
