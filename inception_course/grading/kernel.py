"""The grader's side inside a student's kernel: set up before the first student cell, it sends
every checker result to the grader and flags results made by replaced course code.

:func:`start` runs in a hidden cell before any of the student's code. It connects to the socket
the grader listens on (the grader accepts one connection, then removes the socket's name, so no
other process can reach it), receives a per-run key over that connection (never written in a
cell, an environment variable or a file), reports a hash of every course module the kernel
loaded, and takes a :func:`snapshot` of the course's functions and classes and of the Python and
torch functions the checkers rely on. From then on every result a checker records is sent as one
signed JSON line, together with whatever :func:`changes` finds replaced since the snapshot and
whether the result really came from the checker's own code (the caller's frame). A pass made with
replaced checkers, result classes, recording machinery or comparison functions therefore arrives
flagged, and the grader fails it as "tampered".

What this cannot stop: the student's code runs in this same process, so a student who studies
this module can reach the key and the socket and impersonate it. ``docs/teaching.md`` says how a
teacher spots that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import sys
import types
from typing import Any

COURSE = "inception_course"
_WATCHED_MODULES = ("builtins", "math", "torch", "torch.nn.functional", "torch.testing", "numpy")
_WATCHED_CLASSES = ("torch.Tensor", "torch.nn.Module", "numpy.ndarray")


def _fingerprint(value: Any, depth: int = 0) -> tuple:
    """The objects that make up a function or class: its code, defaults and closure (for a class,
    each function in its namespace). Kept alive by the snapshot, so identity comparisons are safe."""
    if isinstance(value, types.FunctionType):
        cells = []
        for cell in value.__closure__ or ():
            try:
                content = cell.cell_contents
            except ValueError:  # an empty cell
                content = None
            if callable(content) and depth < 2:
                cells.append(_fingerprint(content, depth + 1))
        return (value, value.__code__, value.__defaults__, value.__kwdefaults__, tuple(cells))
    if isinstance(value, type) and depth == 0:
        members = []
        for name, member in sorted(vars(value).items()):
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                members.append((name, member, member.fget, member.fset))
            elif isinstance(member, types.FunctionType):
                members.append((name, *_fingerprint(_torch_unwrapped(member), depth + 1)))
            elif callable(member):
                members.append((name, member))
        return (value, tuple(members))
    return (value,)


def _torch_unwrapped(function: types.FunctionType) -> Any:
    """``function`` without the wrappers torch itself puts on methods at run time (an optimiser's
    ``step`` gets a profiling hook on first use); any other wrapper counts as a replacement."""
    torch_dir = os.path.dirname(getattr(sys.modules.get("torch"), "__file__", None) or "/nonexistent/torch/x")
    while getattr(function, "__wrapped__", None) is not None and function.__code__.co_filename.startswith(torch_dir):
        function = function.__wrapped__
    return function


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        _same(x, y) if isinstance(x, tuple) and isinstance(y, tuple) else x is y for x, y in zip(a, b)
    )


def snapshot() -> dict[str, tuple]:
    """``{"module.name": (module, name, fingerprint)}`` for every function and class bound in a
    course module, and for the functions of the watched Python, torch and numpy modules and classes."""
    table: dict[str, tuple] = {}
    modules = [(n, m) for n, m in list(sys.modules.items()) if m is not None and (n == COURSE or n.startswith(COURSE + "."))]
    modules += [(n, sys.modules[n]) for n in _WATCHED_MODULES if n in sys.modules]
    for module_name, module in modules:
        for name, value in list(vars(module).items()):
            if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
                table[f"{module_name}.{name}"] = (module, name, _fingerprint(value))
    for dotted in _WATCHED_CLASSES:
        module_name, _, name = dotted.rpartition(".")
        module = sys.modules.get(module_name)
        if isinstance(getattr(module, name, None), type):
            table[dotted] = (module, name, _fingerprint(getattr(module, name)))
    return table


def changes(before: dict[str, tuple]) -> list[str]:
    """The names in ``before`` whose function or class (or one of its methods) has been replaced."""
    return [
        key for key, (module, name, fingerprint) in before.items()
        if not _same(_fingerprint(vars(module).get(name)), fingerprint)
    ]


def module_hashes() -> dict[str, str]:
    """``{module name: sha256 of its source file}`` for every course module loaded."""
    hashes = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and (name == COURSE or name.startswith(COURSE + ".")):
            try:
                with open(path, "rb") as file:
                    hashes[name] = hashlib.sha256(file.read()).hexdigest()
            except OSError:
                hashes[name] = "unreadable"
    return hashes


def _made_by_checker(result: Any, check_code: types.CodeType) -> bool:
    """Whether ``result`` is the local ``result`` of a running checker (the @checker wrapper)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is check_code:
            return frame.f_locals.get("result") is result
        frame = frame.f_back
    return False


def start(path: str) -> None:
    """Connect to the grader at ``path`` and record every later checker result there."""
    import inception_course.exercises  # noqa: F401 - every checker, imported before the student's code
    from inception_course.exercises.checking import result as results

    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    key = b""
    while not key.endswith(b"\n"):
        chunk = connection.recv(256)
        if not chunk:
            raise ConnectionError("the grader closed the results channel")
        key += chunk
    key = key.strip()
    check_code = results.checker("-")(lambda report: None).__code__  # the code every checker runs
    counter = iter(range(1, 1 << 62))

    def send(message: dict) -> None:
        line = json.dumps(message, default=str, sort_keys=True)
        signature = hmac.new(key, line.encode(), hashlib.sha256).hexdigest()
        connection.sendall(f"{signature} {line}\n".encode())

    def recorder(result: Any) -> None:
        problems = changes(before)
        if not _made_by_checker(result, check_code):
            problems.append("a result that no checker made")
        send({
            "seq": next(counter), "checker": str(result.checker), "exercise": str(result.exercise),
            "passed": result.passed is True, "messages": [str(m) for m in result.messages],
            "checks": [str(c) for c in result.checks], "tampered": problems,
        })

    before: dict[str, tuple] = {}
    results.set_recorder(recorder)
    before.update(snapshot())  # the recorder included
    send({"seq": 0, "package": getattr(sys.modules[COURSE], "__file__", ""), "modules": module_hashes()})


__all__ = ["changes", "module_hashes", "snapshot", "start"]
