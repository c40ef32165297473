"""What a checker hands back: passed or not, and what to fix in plain words.

Checkers never raise on a wrong answer: a student's mistake is the expected case, so it becomes a
message. Each checker fills a :class:`Report` (one line per check that passed, one per problem),
prints the summary and returns the :class:`CheckResult` (solutions notebooks ``assert result.passed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckResult:
    """The outcome of one exercise check.

    ``messages`` lists the problems found (empty when ``passed``); ``checks`` lists what was
    verified successfully, so a student sees how far they got.
    """

    exercise: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

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

    def finish(self, verbose: bool = True) -> CheckResult:
        result = CheckResult(self.exercise, not self.messages, list(self.messages), list(self.checks))
        if verbose:
            print(result.summary())
        return result
