"""Launching a test's worker script the way ``torchrun`` would on one machine: one process per rank,
the variables it sets, gloo over 127.0.0.1, one CPU thread each."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(worker: Path, *args: object, world_size: int = 2) -> list[subprocess.Popen]:
    """``python worker *args`` once per rank; stderr is kept for the assertion messages."""
    port = str(free_port())
    procs = []
    for rank in range(world_size):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": port, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world_size)}
        procs.append(subprocess.Popen([sys.executable, str(worker), *map(str, args)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    return procs


def finish(procs: list[subprocess.Popen], timeout: float = 120) -> list[tuple[int, str]]:
    """Each process's ``(exit status, stderr)``, in rank order. A process still running after
    ``timeout`` seconds (one rank waiting in a collective for another that has stopped) fails the
    test, and every process is killed."""
    results = []
    try:
        for p in procs:
            _, err = p.communicate(timeout=timeout)
            results.append((p.returncode, err))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
            p.communicate()
        pytest.fail(f"a process was still running after {timeout} s: it hung (rank exit statuses so far: {results})")
    return results


def succeed(procs: list[subprocess.Popen], timeout: float = 120) -> None:
    """Wait for ``procs`` and assert that each exited with status 0."""
    for status, err in finish(procs, timeout):
        assert status == 0, err[-2000:]
