"""Run one submission apart from the class, and collect the results its checkers send.

Each submission gets a fresh private folder (mode 0700) holding a copy of its notebook only; the
kernel starts there, with an environment built from a short allow-list (no path to the class
folder, the CSV or the feedback files; ``HOME`` is the fresh folder). The notebook runs in a
child process (:mod:`inception_course.grading.runner`, its own session) so that a kernel killing
its parent ends only that child; the grader waits at most the time limit plus a few minutes for
the kernel's start and set-up, then ends every process the submission started
(:func:`inception_course.grading.processes.end_all`).

The results come over a Unix socket that the grader listens on in a second private folder: it
accepts exactly one connection - the hidden set-up cell's, made before any student code runs -
then deletes the socket's name and sends a random key over the connection. Each result line
must carry that key's signature and the next sequence number; anything else arriving on the
channel marks the whole submission as tampered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import processes

SETUP_TIMEOUT = 180.0  # seconds for the hidden set-up cell (importing torch and the course): not the student's time
START_ALLOWANCE = 60.0 + SETUP_TIMEOUT + 30.0  # seconds to start a kernel and set it up, beyond the notebook's limit
MAX_RESULTS_BYTES = 4_000_000  # more than any lesson's results by far: beyond it is a flood
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX",
                  "CONDA_DEFAULT_ENV", "INCEPTION_COURSE_DATA", "TORCH_HOME", "SYSTEMROOT")


@dataclass
class Limits:
    """What one submission may use: cell time (s), printed output (bytes), address space (bytes, 0 = none)."""

    timeout: float = 600.0
    max_output: int = 20_000_000
    memory: int = 16 << 30


@dataclass
class Run:
    """How running a submission ended: its checkers' results in order, why it stopped (None when
    every cell ran), its running time, and why its results cannot be trusted (None when they can)."""

    results: list[dict]
    stopped: str | None
    seconds: float
    tampered: str | None = None


def kernel_environment(home: Path) -> dict[str, str]:
    """The kernel's environment: the allow-listed variables, fast mode, one thread, no GPU."""
    env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    from ..config import (
        data_root,  # the teacher's data folder: downloaded data sets, not submissions
    )

    env.update(
        HOME=str(home), TMPDIR=str(home), INCEPTION_COURSE_FAST="1", INCEPTION_COURSE_DATA=str(data_root()),
        MPLBACKEND="Agg", TQDM_DISABLE="1", OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", PYTHONDONTWRITEBYTECODE="1",
    )
    return env


class _Channel:
    """The grader's end of the results socket: one connection, signed numbered lines."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "results.sock"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(1)
        self.key = secrets.token_hex(32)
        self.connection: socket.socket | None = None
        self.buffer, self.received = b"", 0
        self.hello: dict | None = None
        self.results: list[dict] = []
        self.tampered: str | None = None

    def accept(self) -> socket.socket:
        self.connection, _ = self.listener.accept()
        self.listener.close()
        self.path.unlink(missing_ok=True)  # nobody else can connect from now on
        self.connection.sendall(self.key.encode() + b"\n")
        return self.connection

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.received > MAX_RESULTS_BYTES:
            self.tampered = self.tampered or f"tampered: more than {MAX_RESULTS_BYTES} bytes arrived on the results channel"
            return
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self._line(line)

    def _line(self, line: bytes) -> None:
        signature, _, text = line.decode("utf-8", "replace").partition(" ")
        expected = hmac.new(self.key.encode(), text.encode(), hashlib.sha256).hexdigest()
        try:
            message = json.loads(text) if hmac.compare_digest(signature, expected) else None
        except json.JSONDecodeError:
            message = None
        number = len(self.results) + (self.hello is not None)
        if not isinstance(message, dict) or message.get("seq") != number:
            self.tampered = self.tampered or "tampered: results the grader's checkers did not produce arrived"
        elif number == 0:
            self.hello = message
        else:
            self.results.append(message)

    def close(self) -> None:
        for end in (self.connection, self.listener):
            if end is not None:
                end.close()


def run_submission(notebook: bytes, name: str, limits: Limits, course_hashes: dict[str, str], package: str) -> Run:
    """Run the notebook ``notebook`` (its file's bytes, named ``name``) isolated; its results."""
    private = Path(tempfile.mkdtemp(prefix="inception-grade-"))  # 0700: the grader's
    home = Path(tempfile.mkdtemp(prefix="inception-submission-"))  # 0700: the kernel's folder
    (home / name).write_bytes(notebook)
    channel = _Channel(private)
    ours, theirs = socket.socketpair()
    selector = selectors.DefaultSelector()
    before = processes.descendants(os.getpid(), processes.table())
    start = time.monotonic()
    report, runner = b"", None
    try:
        runner = subprocess.Popen(
            [sys.executable, "-m", "inception_course.grading.runner", str(home / name), str(channel.path),
             str(theirs.fileno()), str(limits.timeout), str(SETUP_TIMEOUT), str(limits.max_output), str(limits.memory)],
            cwd=home, env=kernel_environment(home), pass_fds=[theirs.fileno()], start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        theirs.close()
        selector.register(channel.listener, selectors.EVENT_READ, "accept")
        selector.register(ours, selectors.EVENT_READ, "report")
        deadline = start + limits.timeout + START_ALLOWANCE
        runner_done = False
        while not runner_done and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
                if key.data == "accept":
                    selector.unregister(channel.listener)
                    selector.register(channel.accept(), selectors.EVENT_READ, "results")
                    continue
                data = key.fileobj.recv(65536)
                if key.data == "results" and data:
                    channel.feed(data)
                elif key.data == "results":  # the kernel has ended
                    selector.unregister(key.fileobj)
                elif data:
                    report += data
                else:  # the runner has ended (or was killed): its end of the socket closed
                    runner_done = True
        if channel.connection is not None:  # what the kernel sent before it ended
            channel.connection.setblocking(False)
            try:
                while data := channel.connection.recv(65536):
                    channel.feed(data)
            except (BlockingIOError, OSError):
                pass
        outcome = _read_report(report, runner_done, limits)
    finally:
        sessions = {runner.pid} if runner is not None else set()
        processes.end_all(before, sessions)
        if runner is not None:
            runner.wait()
        selector.close()
        channel.close()
        ours.close()
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    run = Run(channel.results, outcome, time.monotonic() - start, channel.tampered)
    if run.tampered is None and channel.hello is not None:
        run.tampered = _compare_code(channel.hello, course_hashes, package)
    return run


def _read_report(report: bytes, runner_done: bool, limits: Limits) -> str | None:
    if not runner_done:
        return f"the notebook ran past the {limits.timeout:g} s time limit (its kernel did not end): stopped"
    try:
        return json.loads(report.decode())["stopped"]
    except (ValueError, KeyError, TypeError):
        return "the notebook ended the process that ran it (its parent): stopped there"


def _compare_code(hello: dict, course_hashes: dict[str, str], package: str) -> str | None:
    """Why the kernel's course code is not the grader's, or None when it is."""
    if hello.get("package") != package:
        return f"tampered: the kernel loaded the course from {hello.get('package')}, not {package}"
    changed = sorted(name for name, digest in dict(hello.get("modules", {})).items() if course_hashes.get(name) != digest)
    if changed:
        return f"tampered: the course's code on disk changed during grading ({', '.join(changed[:3])}): reinstall the course"
    return None


def course_hashes(package_dir: Path) -> dict[str, str]:
    """``{module name: sha256 of its source}`` for every module of the course under ``package_dir``."""
    hashes = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        hashes[".".join(parts)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes
