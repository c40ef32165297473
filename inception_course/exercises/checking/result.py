"""What a checker hands back: passed or not, and what to fix in plain words.

Checkers never raise: a student's mistake is the expected case, so it becomes a message. A checker
is written as ``@checker(title)`` over a function that fills a :class:`Report` (one line per check
that passed, one per problem) and stops at the first problem. The decorator builds the report,
turns anything the function raises - or a wrong call of the checker itself - into a failed result
that names the exception, prints the summary, and records the result:

* in :func:`results_log` (this kernel's results, oldest first), and
* when the grading command (``python -m inception_course.grade``) runs the notebook, through the
  recorder it installs with :func:`set_recorder` before the student's first cell: it sends each
  result to the grader the moment the check ends, so results survive a notebook that later
  raises, hangs or kills its kernel, and flags results made by replaced checkers or classes
  (``inception_course.grading.kernel``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class CheckResult:
    """The outcome of one exercise check.

    ``messages`` lists the problems found (empty when ``passed``); ``checks`` lists what was
    verified successfully, so a student sees how far they got. ``checker`` is the name of the
    checker function (``check_inception_a``): the grading command files results under it.
    """

    exercise: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    checker: str = ""

    def summary(self) -> str:
        lines = [f"{self.exercise}: {'PASSED' if self.passed else 'NOT YET'}"]
        lines += [f"  ok      {check}" for check in self.checks]
        lines += [f"  to fix  {message}" for message in self.messages]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"CheckResult({self.exercise!r}, passed={self.passed}, {len(self.messages)} problem(s))"


class Report:
    """Collects the checks of one exercise; :meth:`finish` prints and returns the result."""

    def __init__(self, exercise: str) -> None:
        self.exercise = exercise
        self.checks: list[str] = []
        self.messages: list[str] = []

    def ok(self, check: str) -> None:
        self.checks.append(check)

    def fail(self, message: str) -> None:
        self.messages.append(message)

    @property
    def failed(self) -> bool:
        return bool(self.messages)

    def finish(self, verbose: bool = True, checker: str = "") -> CheckResult:
        result = CheckResult(self.exercise, not self.messages, list(self.messages), list(self.checks), checker)
        if verbose:
            print(result.summary())
        return result


_LOG: list[CheckResult] = []
_RECORDER: Callable[[CheckResult], None] | None = None


def results_log() -> list[CheckResult]:
    """Every checker result of this Python process, oldest first (a copy)."""
    return list(_LOG)


def clear_results_log() -> None:
    """Forget the results recorded so far (results already sent to a grader stay sent)."""
    _LOG.clear()


def set_recorder(recorder: Callable[[CheckResult], None] | None) -> None:
    """Call ``recorder(result)`` for every result from now on (the grading command's channel)."""
    global _RECORDER
    _RECORDER = recorder


def record(result: CheckResult) -> None:
    """Add ``result`` to the log and hand it to the recorder, if one is set."""
    _LOG.append(result)
    if _RECORDER is not None:
        try:
            _RECORDER(result)
        except Exception as error:  # noqa: BLE001 - the check itself still counts in the notebook
            print(f"(could not send the result to the grader: {_describe(error)})")


def _describe(error: BaseException) -> str:
    """``KeyError: 'x'``: the exception's name and the first line of its text."""
    try:
        lines = str(error).strip().splitlines()
    except Exception:  # noqa: BLE001 - an exception whose text cannot be made
        lines = []
    return f"{type(error).__name__}: {lines[0][:300]}" if lines else type(error).__name__


def checker(exercise: str) -> Callable[[Callable[..., None]], Callable[..., CheckResult]]:
    """Turn ``fn(report, *inputs)`` into the public ``check_x(*inputs, verbose=True) -> CheckResult``.

    ``fn`` calls ``report.ok`` / ``report.fail`` and returns nothing. Whatever happens inside -
    student code that raises, exits or breaks an assumption of the checker - the caller gets a
    :class:`CheckResult`; the checks that passed before the failure are kept. Torch's grad mode is
    restored afterwards, so a submission that switches it off cannot leak into the next cell.
    """

    def decorate(fn: Callable[..., None]) -> Callable[..., CheckResult]:
        signature = inspect.signature(fn)
        inputs = list(signature.parameters.values())[1:]
        verbose_parameter = inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=True)

        @functools.wraps(fn)
        def check(*args: Any, verbose: bool = True, **kwargs: Any) -> CheckResult:
            report = Report(exercise)
            grad_enabled = torch.is_grad_enabled()
            try:
                bound = signature.bind(report, *args, **kwargs)
            except TypeError as error:
                report.fail(f"call it as {fn.__name__}({', '.join(p.name for p in inputs)}): {error}")
            else:
                try:
                    fn(*bound.args, **bound.kwargs)
                except (Exception, SystemExit) as error:  # noqa: BLE001 - a checker never raises
                    report.fail(
                        f"checking stopped because {_describe(error)} was raised; fix that first"
                        " (if your code looks right, tell your teacher: it may be the checker's fault)"
                    )
            finally:
                torch.set_grad_enabled(grad_enabled)
            result = report.finish(verbose, checker=fn.__name__)
            record(result)
            return result

        check.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*inputs, verbose_parameter], return_annotation=CheckResult
        )
        check.exercise = exercise  # type: ignore[attr-defined]
        return check

    return decorate
