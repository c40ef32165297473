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
