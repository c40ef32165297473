"""Grade a class: run each student's notebook and collect every exercise checker's result.

    python -m inception_course.grade alice/04_inception_v4.ipynb bob/04_inception_v4.ipynb --out grades.csv
    python -m inception_course.grade submissions/*.ipynb --out grades.csv --timeout 600
    python -m inception_course.grade --list         # the exercises graded in each lesson

Each submission (a student's copy of a lesson, or a solutions notebook) is executed top to bottom
in a fresh kernel (nbclient) in fast mode, with one time limit for the whole notebook. Every
checker call records its result the moment it ends (``inception_course.exercises.result``: the
kernel appends one JSON line to a file this command names), so the results of a notebook that
later raises, hangs or kills its kernel are kept; its remaining exercises are marked failed with
the reason. Which exercises a lesson has is read from the course's own lesson notebook
(``lessons/NN_*.ipynb``: every ``check_*`` call in it), so new exercises are graded as soon as the
lesson calls their checker. The lesson of a submission comes from its title cell ("Lesson 4"),
else its file name (``04_...``), else the checkers it calls.

Writes ``--out`` (CSV: submission, lesson, exercise, passed, message; one row per submission and
exercise) and, beside it, one Markdown feedback file per submission. Exits 0 once everything is
graded; 2 for a usage error (a missing file, a bad option). The checks run inside the student's
kernel: a student who rewrites the checkers in the notebook can fake a pass, so look at a
notebook whose results surprise you.
"""

from __future__ import annotations

import argparse
import ast
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import nbformat
except ModuleNotFoundError:  # the grading extra is not installed
    sys.exit("grading needs nbformat and nbclient: pip install 'inception-course[grade]'")

REPO_LESSONS = Path(__file__).resolve().parents[1] / "lessons"
CHECK_LOG_ENV = "INCEPTION_COURSE_CHECK_LOG"  # the same name as inception_course.exercises.result's
DEFAULT_TIMEOUT = 600.0
CSV_COLUMNS = ("submission", "lesson", "exercise", "passed", "message")


@dataclass
class Grade:
    """One exercise of one submission."""

    submission: str
    lesson: str
    exercise: str
    passed: bool
    message: str
    title: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class Run:
    """How executing a notebook ended: ``stopped`` is None when every cell ran."""

    results: list[dict]
    stopped: str | None
    seconds: float


# --- which exercises a lesson has -------------------------------------------------------------


def _python(line: str) -> str:
    """A line as Python: shell lines dropped, a magic's name dropped (``%time x = f()`` -> ``x = f()``)."""
    if line.lstrip().startswith("!"):
        return ""
    return re.sub(r"^\s*%{1,2}\w+\s*", "", line)


def _code(notebook: nbformat.NotebookNode) -> list[str]:
    """Code cells as Python, IPython magics and shell lines removed."""
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return ["\n".join(_python(line) for line in source.splitlines()) for source in cells]


def checker_calls(notebook: nbformat.NotebookNode) -> list[str]:
    """Names of the ``check_*`` functions the notebook calls, in order, each once."""
    names: list[str] = []
    for source in _code(notebook):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            found = re.findall(r"(?<![\w.])(check_\w+)\s*\(", source)
        else:
            found = [
                node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr).startswith("check_")
            ]
        names += [name for name in found if name not in names]
    return names


def lesson_exercises(lessons: Path) -> dict[str, list[str]]:
    """``{"04": ["check_inception_a", ...]}`` from the course's lesson notebooks ``NN_*.ipynb``."""
    table = {}
    for path in sorted(lessons.glob("[0-9][0-9]_*.ipynb")):
        table[path.name[:2]] = checker_calls(nbformat.read(path, as_version=4))
    return table


def identify_lesson(notebook: nbformat.NotebookNode, path: Path, table: dict[str, list[str]]) -> str | None:
    """The lesson a submission is a copy of: from its title, its file name, or its checker calls."""
    title = next((cell.source for cell in notebook.cells if cell.cell_type == "markdown"), "")
    match = re.search(r"Lesson\s+(\d+)", title.splitlines()[0] if title else "")
    if match and f"{int(match.group(1)):02d}" in table:
        return f"{int(match.group(1)):02d}"
    if path.name[:2] in table and path.name[:2].isdigit():
        return path.name[:2]
    calls = set(checker_calls(notebook))
    return next((lesson for lesson, names in table.items() if calls & set(names)), None)


# --- running a notebook -------------------------------------------------------------------------


def _read_results(path: Path) -> list[dict]:
    results = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        try:
            results.append(json.loads(line))
        except json.JSONDecodeError:  # a kernel killed in the middle of a write
            continue
    return results


def execute(notebook: nbformat.NotebookNode, workdir: Path, timeout: float) -> Run:
    """Run ``notebook`` in a fresh kernel, fast mode, its cells within ``timeout`` seconds in all
    (the kernel's start-up, limited by nbclient to a minute, is not counted)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    with tempfile.TemporaryDirectory(prefix="inception-grade-") as scratch:
        results = Path(scratch) / "results.jsonl"
        env = dict(os.environ, INCEPTION_COURSE_FAST="1", MPLBACKEND="Agg", TQDM_DISABLE="1")
        env[CHECK_LOG_ENV] = str(results)
        env.setdefault("OMP_NUM_THREADS", "1")
        client = NotebookClient(
            notebook, timeout=max(1, int(timeout)), kernel_name="python3", allow_errors=False,
            shutdown_kernel="immediate", resources={"metadata": {"path": str(workdir)}},
        )
        start, stopped, index = time.monotonic(), None, 0
        try:
            with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):  # the kernel's own log lines
                start = time.monotonic()  # the limit is for the cells; starting a kernel has its own
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type != "code":
                        continue
                    remaining = start + timeout - time.monotonic()
                    if remaining <= 0:
                        raise CellTimeoutError(f"no time left before cell {index + 1}")
                    client.timeout = max(1, int(remaining + 0.999))
                    client.execute_cell(cell, index)
        except CellExecutionError as error:
            stopped = f"the notebook stopped at cell {index + 1} with {error.ename}: {_first_line(error.evalue)}"
        except (CellTimeoutError, TimeoutError):
            stopped = f"the notebook ran past the {timeout:g} s time limit (at cell {index + 1}): is a loop endless?"
        except DeadKernelError:
            stopped = f"the notebook's kernel died at cell {index + 1}"
        except Exception as error:  # noqa: BLE001 - a kernel that cannot start is a result too
            stopped = f"the notebook could not be run: {type(error).__name__}: {_first_line(str(error))}"
        return Run(_read_results(results), stopped, time.monotonic() - start)


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


# --- grading -------------------------------------------------------------------------------------


def grade_notebook(path: Path, table: dict[str, list[str]], timeout: float) -> tuple[list[Grade], Run | None]:
    """Every exercise of the submission at ``path``, passed or not, with the message to act on."""
    name = str(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - a broken file is graded, not fatal
        return [Grade(name, "", "-", False, f"not a readable notebook: {type(error).__name__}: {_first_line(str(error))}")], None
    lesson = identify_lesson(notebook, path, table)
    exercises = table.get(lesson or "", []) or checker_calls(notebook)
    if not exercises:
        reason = (f"lesson {lesson} has no self-checking exercises: nothing to grade" if lesson
                  else "no exercise found: this is not a copy of a lesson with self-checking exercises")
        return [Grade(name, lesson or "", "-", False, reason)], None
    run = execute(notebook, path.resolve().parent, timeout)
    latest = {result.get("checker"): result for result in run.results}
    grades = []
    for exercise in exercises:
        result = latest.get(exercise)
        if result is None:
            reason = run.stopped or f"the notebook never called {exercise}(...): keep the exercise's checker call"
            grades.append(Grade(name, lesson or "", exercise, False, f"not checked: {reason}"))
            continue
        messages, checks = list(result.get("messages", [])), list(result.get("checks", []))
        passed = bool(result.get("passed"))
        message = "passed" if passed else (messages[0] if messages else "not passed")
        details = [f"to fix: {m}" for m in messages] + [f"ok: {c}" for c in checks]
        grades.append(Grade(name, lesson or "", exercise, passed, message, result.get("exercise", ""), details))
    return grades, run


def write_csv(grades: list[Grade], out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for g in grades:
            writer.writerow([g.submission, g.lesson, g.exercise, g.passed, g.message])


def feedback(grades: list[Grade], run: Run | None) -> str:
    """A student's Markdown feedback: the score, then each exercise with what to fix."""
    passed = sum(g.passed for g in grades)
    lines = [f"# Feedback: {grades[0].submission}", ""]
    if grades[0].lesson:
        lines.append(f"Lesson {grades[0].lesson}: **{passed} of {len(grades)}** exercises pass.")
    if run is not None:
        lines.append(f"The notebook ran for {run.seconds:.0f} s; " + (f"{run.stopped}." if run.stopped else "every cell ran."))
    for g in grades:
        lines += ["", f"## {g.title or g.exercise} (`{g.exercise}`): {'passed' if g.passed else 'not yet'}", ""]
        lines += [f"* {detail}" for detail in g.details] or [f"* {g.message}"]
    return "\n".join(lines) + "\n"


def _feedback_names(paths: list[Path]) -> list[str]:
    """A distinct file stem per submission: its name, with its folder's name when names repeat."""
    stems = [path.stem for path in paths]
    names = [f"{path.resolve().parent.name}_{path.stem}" if stems.count(path.stem) > 1 else path.stem for path in paths]
    return [name if names.count(name) == 1 else f"{name}_{index}" for index, name in enumerate(names)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inception_course.grade", description=__doc__.split("\n\n")[0],
        epilog="Writes the CSV and one SUBMISSION.feedback.md per notebook beside it.",
    )
    parser.add_argument("submissions", nargs="*", type=Path, help="students' notebooks (.ipynb)")
    parser.add_argument("--out", type=Path, help="the CSV to write, e.g. grades.csv")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per notebook (default 600)")
    parser.add_argument("--lessons", type=Path, default=REPO_LESSONS, help="the course's lessons folder")
    parser.add_argument("--list", action="store_true", help="print each lesson's graded exercises and stop")
    args = parser.parse_args(argv)
    table = lesson_exercises(args.lessons) if args.lessons.is_dir() else {}
    if not table:
        parser.error(f"no lesson notebooks (NN_*.ipynb) in {args.lessons}; pass --lessons DIR")
    if args.list:
        for lesson, names in table.items():
            print(f"lesson {lesson}: {', '.join(names) or '(no checked exercises)'}")
        return 0
    if not args.submissions or args.out is None:
        parser.error("give the notebooks to grade and --out grades.csv (or --list)")
    if importlib.util.find_spec("nbclient") is None:
        parser.error("grading runs notebooks with nbclient: pip install 'inception-course[grade]'")
    missing = [str(path) for path in args.submissions if not path.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, got {args.timeout:g}")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    everything: list[Grade] = []
    for path, stem in zip(args.submissions, _feedback_names(args.submissions)):
        grades, run = grade_notebook(path, table, args.timeout)
        everything += grades
        (args.out.parent / f"{stem}.feedback.md").write_text(feedback(grades, run), encoding="utf-8")
        summary = f"{sum(g.passed for g in grades)}/{len(grades)} exercises pass"
        print(f"{path}: {summary}" + (f" ({run.stopped})" if run and run.stopped else ""), file=sys.stderr)
        write_csv(everything, args.out)  # written after each notebook: a long session keeps what is done
    print(f"wrote {args.out} ({len(everything)} rows) and {len(args.submissions)} feedback file(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
