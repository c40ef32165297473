"""Ending every process a submission started, wherever it went (Linux; elsewhere its session).

While the grader runs it is a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``): a process a
notebook detaches (double fork, ``setsid``) is re-parented to the grader instead of to init, so
it stays findable among the grader's descendants after its own parents are gone. After each
submission :func:`end_all` kills every process that was not among the grader's descendants
before the submission started, and every process in their sessions, until none is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterator

PR_SET_CHILD_SUBREAPER = 36


@contextlib.contextmanager
def subreaper() -> Iterator[None]:
    """Make this process the subreaper of its descendants for the ``with`` block (Linux only)."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
    enabled = libc is not None and libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield
    finally:
        if enabled:
            libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def table() -> dict[int, tuple[int, int]]:
    """``{pid: (parent pid, session id)}`` of every process (empty where /proc is missing)."""
    found = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as file:
                    fields = file.read().rsplit(b")", 1)[1].split()
            except OSError:  # it ended meanwhile
                continue
            found[int(entry)] = (int(fields[1]), int(fields[3]))
    return found


def descendants(root: int, processes: dict[int, tuple[int, int]]) -> set[int]:
    """Every process below ``root`` in the parent tree."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def end_all(before: set[int], sessions: set[int], rounds: int = 100) -> None:
    """Kill every descendant of this process not in ``before``, and every process of ``sessions``
    and of the sessions those descendants lead, until none is left (a fork loop is outrun)."""
    me = os.getpid()
    own_session = os.getsid(0)
    for _ in range(rounds):
        processes = table()
        new = descendants(me, processes) - before
        marked = (sessions | {processes[pid][1] for pid in new}) - {own_session}
        targets = {pid for pid in new | {p for p, (_, sid) in processes.items() if sid in marked}} - {me}
        if not processes:  # no /proc: the sessions are process groups too
            for sid in sessions - {own_session}:
                with contextlib.suppress(OSError):
                    os.killpg(sid, signal.SIGKILL)
            return
        if not targets:
            return
        for pid in targets:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)
        for pid in targets:
            if processes.get(pid, (0, 0))[0] == me:
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
