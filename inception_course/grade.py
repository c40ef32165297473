"""Grade a class: run each student's notebook apart from the others and collect its checkers' results.

    python -m inception_course.grade submissions/ --out grades.csv          # every notebook in the folder
    python -m inception_course.grade alice/04_inception_v4.ipynb bob/04_inception_v4.ipynb --out grades.csv
    python -m inception_course.grade --list         # the exercises graded in each lesson

Every submission is read into memory before the first one runs. Each then runs top to bottom in a
fresh kernel, in fast mode on the CPU, in its own fresh folder holding a copy of that notebook
only, with limits on time, memory and printed output; when it ends, every process it started is
killed (``inception_course.grading``). Each checker call sends its result to this command the
moment it ends, on a channel private to that run, so the results of a notebook that later raises,
hangs or kills its kernel are kept; its remaining exercises are failed with the reason. A result
made with replaced checkers or course code fails as "tampered". Which exercises a lesson has is
read from the course's own lesson notebooks (``grading.lessons``).

Writes ``--out`` (CSV: submission, lesson, exercise, passed, message; one row per submission and
exercise) and, beside it, one Markdown feedback file per submission, both rewritten whole after
each notebook. Exits 0 once everything is graded; 2 for a usage error (a missing file, a bad option).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

try:
    import nbformat
except ModuleNotFoundError:  # the grading extra is not installed
    sys.exit("grading needs nbformat and nbclient: pip install 'inception-course[grade]'")

from .grading import processes
from .grading.lessons import checker_calls, identify_lesson, lesson_exercises
from .grading.sandbox import Limits, Run, course_hashes, run_submission

REPO_LESSONS = Path(__file__).resolve().parents[1] / "lessons"
PACKAGE = Path(__file__).resolve().parent
DEFAULT_TIMEOUT = 600.0
CSV_COLUMNS = ("submission", "lesson", "exercise", "passed", "message")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
class Course:
    """What every submission is graded against: the lessons' exercises, the grader's own copy of the
    course (its folder and each module's hash, taken before any submission runs) and the limits."""

    table: dict[str, list[str]]
    limits: Limits
    hashes: dict[str, str] = field(default_factory=lambda: course_hashes(PACKAGE))
    package: str = str(PACKAGE / "__init__.py")


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def grade_notebook(name: str, data: bytes, course: Course) -> tuple[list[Grade], Run | None]:
    """Every exercise of the submission ``name`` (its file's bytes ``data``), passed or not, with the
    message to act on."""
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # noqa: BLE001 - a broken file is graded, not fatal
        return [Grade(name, "", "-", False, f"not a readable notebook: {type(error).__name__}: {_first_line(str(error))}")], None
    lesson = identify_lesson(notebook, Path(name), course.table)
    exercises = course.table.get(lesson or "", []) or checker_calls(notebook)
    if not exercises:
        reason = (f"lesson {lesson} has no self-checking exercises: nothing to grade" if lesson
                  else "no exercise found: this is not a copy of a lesson with self-checking exercises")
        return [Grade(name, lesson or "", "-", False, reason)], None
    run = run_submission(data, Path(name).name, course.limits, course.hashes, course.package)
    latest = {result.get("checker"): result for result in run.results}
    grades = []
    for exercise in exercises:
        result = latest.get(exercise)
        if run.tampered:
            grades.append(Grade(name, lesson or "", exercise, False, run.tampered))
        elif result is None:
            reason = run.stopped or f"the notebook never called {exercise}(...): keep the exercise's checker call"
            grades.append(Grade(name, lesson or "", exercise, False, f"not checked: {reason}"))
        elif result.get("tampered"):
            replaced = ", ".join(map(str, result["tampered"][:3]))
            message = f"tampered: the check ran with replaced code ({replaced}); a check's result counts only from the course's own code"
            grades.append(Grade(name, lesson or "", exercise, False, message, str(result.get("exercise", ""))))
        else:
            messages, checks = list(result.get("messages", [])), list(result.get("checks", []))
            passed = result.get("passed") is True
            message = "passed" if passed else (messages[0] if messages else "not passed")
            details = [f"to fix: {m}" for m in messages] + [f"ok: {c}" for c in checks]
            grades.append(Grade(name, lesson or "", exercise, passed, message, str(result.get("exercise", "")), details))
    return grades, run


def spreadsheet_safe(cell: object) -> str:
    """``cell`` as text a spreadsheet shows as text: a leading ``= + - @``, tab or CR gets a ``'``."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(grades: list[Grade], out: Path) -> None:
    """The grades as CSV (one row per submission and exercise), every cell safe for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for g in grades:
        writer.writerow([spreadsheet_safe(cell) for cell in (g.submission, g.lesson, g.exercise, g.passed, g.message)])
    _write_atomically(out, buffer.getvalue())


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


def _submissions(given: list[Path]) -> list[Path]:
    """The notebooks named, a folder standing for every ``.ipynb`` below it (checkpoints left out);
    each once, in the order given."""
    found: list[Path] = []
    for path in given:
        inside = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts) if path.is_dir() else [path]
        found += [p for p in inside if p.resolve() not in {f.resolve() for f in found}]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inception_course.grade", description=__doc__.split("\n\n")[0],
        epilog="Writes the CSV and one SUBMISSION.feedback.md per notebook beside it.",
    )
    parser.add_argument("submissions", nargs="*", type=Path, help="students' notebooks (.ipynb), or folders of them")
    parser.add_argument("--out", type=Path, help="the CSV to write, e.g. grades.csv")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per notebook (default 600)")
    parser.add_argument("--memory", type=float, default=16, help="GiB of address space per kernel (default 16; 0 = no limit)")
    parser.add_argument("--max-output", type=float, default=20, help="MB a notebook may print (default 20)")
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
    missing = [str(path) for path in args.submissions if not path.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    if not args.timeout > 0 or not args.max_output > 0 or not args.memory >= 0:
        parser.error("--timeout and --max-output must be positive and --memory 0 or more")
    if args.out.is_dir() or args.out.suffix.lower() == ".ipynb":
        parser.error(f"--out {args.out} must name the CSV file to write, e.g. {args.out / 'grades.csv' if args.out.is_dir() else 'grades.csv'}")
    paths = _submissions(args.submissions)
    if not paths:
        parser.error(f"no notebooks (.ipynb) in {', '.join(map(str, args.submissions))}")
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=args.out.parent).close()  # writable? (an existing CSV is kept until then)
    except OSError as error:
        parser.error(f"cannot write {args.out}: {error.strerror}; choose another --out")
    submissions = [(path, path.read_bytes()) for path in paths]  # before any of them runs
    course = Course(table, Limits(args.timeout, int(args.max_output * 1e6), int(args.memory * (1 << 30))))

    everything: list[Grade] = []
    with processes.subreaper():
        for (path, data), stem in zip(submissions, _feedback_names(paths)):
            grades, run = grade_notebook(str(path), data, course)
            everything += grades
            _write_atomically(args.out.parent / f"{stem}.feedback.md", feedback(grades, run))
            summary = f"{sum(g.passed for g in grades)}/{len(grades)} exercises pass"
            print(f"{path}: {summary}" + (f" ({run.stopped})" if run and run.stopped else ""), file=sys.stderr)
            write_csv(everything, args.out)  # after each notebook: a long session keeps what is done
    print(f"wrote {args.out} ({len(everything)} rows) and {len(paths)} feedback file(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
