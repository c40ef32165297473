"""Where lessons and widgets write the runs they train."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from inception_course import config
from inception_course.config import SCRATCH_PREFIX, runs_dir


def test_fast_mode_runs_live_in_one_temporary_folder_per_process(tmp_path, monkeypatch):
    monkeypatch.setenv("INCEPTION_COURSE_FAST", "1")
    monkeypatch.setenv("INCEPTION_COURSE_DATA", str(tmp_path))
    first, second = runs_dir("lesson08"), runs_dir("lesson08")
    assert first != second and first.parent == second.parent  # a new folder per call, one parent
    assert first.is_dir() and first.name.startswith("lesson08-") and not first.is_relative_to(tmp_path)


def test_full_runs_are_kept_under_the_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("INCEPTION_COURSE_FAST", "0")
    monkeypatch.setenv("INCEPTION_COURSE_DATA", str(tmp_path))
    assert runs_dir("residual_vs_plain", timestamp=False) == tmp_path / "runs" / "residual_vs_plain"
    stamped = runs_dir("lesson06")
    assert stamped.is_dir() and stamped.parent == tmp_path / "runs" and stamped.name.startswith("lesson06-20")


def test_folders_of_dead_processes_are_swept(monkeypatch):
    monkeypatch.setenv("INCEPTION_COURSE_FAST", "1")
    monkeypatch.setattr(config, "_SCRATCH", [])  # as in a fresh process: the first call sweeps
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{dead.pid}-"))
    (stale / "run").mkdir()
    fresh = runs_dir("x")
    assert not stale.exists() and fresh.is_dir() and f"{SCRATCH_PREFIX}{os.getpid()}-" in str(fresh)


def test_a_data_root_that_is_a_file_or_read_only_gets_advice(tmp_path, monkeypatch):
    import errno

    import pytest

    from inception_course.config import writable_folder

    (tmp_path / "data").write_text("not a folder")
    for target in (tmp_path / "data", tmp_path / "data" / "runs" / "x"):
        with pytest.raises(NotADirectoryError, match=f"^{tmp_path / 'data'} is a file, not a folder, .*--data-root"):
            writable_folder(target)
    assert writable_folder(tmp_path / "new" / "runs") == tmp_path / "new" / "runs"
    assert (tmp_path / "new" / "runs").is_dir()
    # Root ignores permission bits, so the read-only cases are faked: a folder we may not write in...
    monkeypatch.setattr(config.os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match=f"^cannot write in {tmp_path / 'new'} .*INCEPTION_COURSE_DATA"):
        writable_folder(tmp_path / "new")
    monkeypatch.undo()

    def read_only_file_system(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", read_only_file_system)  # ...and a read-only file system
    with pytest.raises(PermissionError, match="^cannot write in .*Read-only file system.*--data-root"):
        writable_folder(tmp_path / "elsewhere")
    monkeypatch.undo()
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "data"))
    monkeypatch.delenv(config.FAST_ENV, raising=False)
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        runs_dir("lesson")
