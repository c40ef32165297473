"""Write, strip and check the course notebooks (see lessons/README.md for the conventions).

Lessons are stored without outputs or execution counts so that diffs stay readable and nbval's
``assert`` cells are what validates them. Six commands:

    python tools/notebooks.py new lessons/06_activation_scaling.ipynb "Activation scaling"
        a new lesson that already has the standard first cells (title + Colab badge, install cell)
    python tools/notebooks.py strip lessons/*.ipynb lessons/solutions/*.ipynb
        drop outputs, execution counts and editor metadata, in place (and collapse, below)
    python tools/notebooks.py collapse lessons/*.ipynb lessons/solutions/*.ipynb
        fold every check cell (first line ``# check: <what it checks>``) in JupyterLab and Colab
    python tools/notebooks.py reading-time lessons/[0-9]*.ipynb --write docs/teaching.md
        the minutes a student needs per lesson; --write replaces the table in docs/teaching.md
    python tools/notebooks.py check lessons/*.ipynb lessons/solutions/*.ipynb
        exit 1, naming the notebook and the rule, when one breaks a convention
    python tools/notebooks.py slides lessons/*.ipynb
        mark slides in place (see slide_types), so that `jupyter nbconvert --to slides` makes a deck

Authors who prefer writing a lesson in Python can build its cells with :func:`markdown` and
:func:`code` and save them with :func:`write_notebook`; the result is already stripped.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NamedTuple
from pathlib import Path

import nbformat

from inception_course import REPO_URL

COLAB_URL = REPO_URL.replace("https://github.com/", "https://colab.research.google.com/github/") + "/blob/main/"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
KEPT_CELL_METADATA = ("slideshow",)  # what strip() keeps: slide marks are authored, not editor state
CHECK_MARKER = "# check:"       # the first line of a cell that only checks what the prose claims
COLAB_TITLE = "#@title check:"  # the same line once collapsed: Colab's form view shows it as the title
MAX_VISIBLE_LINES = 20          # a longer visible code cell buries the prose: collapse it or move code to the library

# Reading speeds behind `reading-time` (stated in docs/teaching.md beside the table):
WORDS_PER_MINUTE = 130      # careful reading of technical prose, below the ~200-250 of ordinary text
CODE_LINES_PER_MINUTE = 6   # reading and running a visible code cell: ten seconds a line
MINUTES_PER_EXERCISE = 8    # a short checked exercise, first try plus one fix

INSTALL_CELL = f'''\
# On Colab (or wherever the course is missing) fetch and install it; locally this cell does nothing.
import importlib.util, os, subprocess, sys

if importlib.util.find_spec("inception_course") is None:
    target = "/content/inception-course" if os.path.isdir("/content") else os.path.abspath("inception-course")
    if not os.path.isdir(target):
        subprocess.run(["git", "clone", "--depth", "1", "{REPO_URL}", target], check=True)
    # The package's dependencies are lower bounds only: pip keeps Colab's torch, torchvision, ipywidgets.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", target], check=True)
    sys.path.insert(0, target)  # an editable install is only seen by new kernels'''


def colab_badge(path: str | Path) -> str:
    """Markdown for the "Open in Colab" badge of the notebook at ``path`` (relative to the repo)."""
    relative = Path(path).as_posix()
    return f"[![Open In Colab]({BADGE_IMAGE})]({COLAB_URL}{relative})"


def markdown(text: str) -> nbformat.NotebookNode:
    """A markdown cell (surrounding blank lines removed)."""
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    """A code cell without outputs (surrounding blank lines removed)."""
    return nbformat.v4.new_code_cell(text.strip("\n"))


def header_cells(path: str | Path, title: str, goals: list[str]) -> list[nbformat.NotebookNode]:
    """The first two cells of every lesson: title, badge and goals; then the install cell."""
    goal_lines = "\n".join(f"* {goal}" for goal in goals)
    intro = f"# {title}\n\n{colab_badge(path)}\n\n**In this lesson you will**\n\n{goal_lines}"
    return [markdown(intro), code(INSTALL_CELL)]


def slide_type(cell: nbformat.NotebookNode) -> str:
    """Where ``cell`` goes in a slide deck: a title or ``## `` heading starts a slide, a ``### ``
    heading a subslide (below it in reveal.js), everything else continues the current one."""
    if cell.cell_type == "markdown":
        source = cell.source.lstrip()
        if source.startswith(("# ", "## ")):
            return "slide"
        if source.startswith("### "):
            return "subslide"
    return "-"


def add_slide_metadata(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Set every cell's ``slideshow.slide_type`` (see :func:`slide_type`), in place."""
    for cell in notebook.cells:
        cell.metadata["slideshow"] = {"slide_type": slide_type(cell)}
    return notebook


def is_check_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is marked as one that only checks (first line ``# check: ...``, or the
    ``#@title check: ...`` that :func:`collapse` turns it into)."""
    first = cell.source.lstrip().split("\n", 1)[0].lower() if cell.cell_type == "code" else ""
    return first.startswith((CHECK_MARKER, COLAB_TITLE))


def is_collapsed(cell: nbformat.NotebookNode) -> bool:
    """Whether JupyterLab and Colab both show ``cell`` folded (its title line only, in Colab)."""
    return (cell.metadata.get("jupyter", {}).get("source_hidden") is True
            and cell.metadata.get("cellView") == "form"
            and cell.source.lstrip().lower().startswith(COLAB_TITLE))


def collapse(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Fold every check cell, in place: JupyterLab hides its source (``jupyter.source_hidden``),
    Colab shows only its ``#@title`` line (``cellView: form``). The cell still runs, so nbval still
    checks it; a student opens it with one click."""
    for cell in notebook.cells:
        if not is_check_cell(cell):
            continue
        first, _, rest = cell.source.lstrip().partition("\n")
        what = first.split(":", 1)[1].strip()
        cell.source = f"{COLAB_TITLE} {what}" + (f"\n{rest}" if rest else "")
        cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        cell.metadata["cellView"] = "form"
    return notebook


def strip(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts and per-cell/editor metadata (slide marks are kept);
    keep the kernelspec; fold the check cells (:func:`collapse`)."""
    for cell in notebook.cells:
        cell.metadata = {key: cell.metadata[key] for key in KEPT_CELL_METADATA if key in cell.metadata}
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    return collapse(notebook)


def in_exercises(notebook: nbformat.NotebookNode) -> list[bool]:
    """For each cell, whether it belongs to the exercises: from the first ``## Exercises`` (or, in a
    solutions notebook, ``## Exercise k``) heading on."""
    inside, marks = False, []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and re.search(r"^##+ Exercise", cell.source, re.MULTILINE):
            inside = True
        marks.append(inside)
    return marks


def long_visible_cells(notebook: nbformat.NotebookNode) -> list[tuple[int, int]]:
    """``(cell number, lines)`` of each visible code cell outside the exercises that is longer than
    :data:`MAX_VISIBLE_LINES` (the install cell, which every lesson shares, is exempt)."""
    return [(number, len(cell.source.splitlines()))
            for number, (cell, exercise) in enumerate(zip(notebook.cells, in_exercises(notebook)), 1)
            if cell.cell_type == "code" and not exercise and not is_collapsed(cell) and cell.source != INSTALL_CELL
            and len(cell.source.splitlines()) > MAX_VISIBLE_LINES]


class ReadingTime(NamedTuple):
    """What a student reads in one lesson, and the minutes it takes at the stated speeds."""

    words: int        # markdown prose, formulas and links counted as the words they show
    code_lines: int   # non-blank lines of visible code cells (collapsed checks are optional reading)
    exercises: int    # "### Exercise" headings

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
                + self.exercises * MINUTES_PER_EXERCISE)


def reading_time(notebook: nbformat.NotebookNode) -> ReadingTime:
    """Count the words, visible code lines and exercises of ``notebook`` (the install cell excluded)."""
    words = code_lines = exercises = 0
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", cell.source)  # a link reads as its text
            words += len(re.findall(r"[A-Za-z0-9][\w'.,-]*", text))
            exercises += len(re.findall(r"^### Exercise", cell.source, re.MULTILINE))
        elif cell.cell_type == "code" and not is_check_cell(cell) and cell.source != INSTALL_CELL:
            code_lines += sum(1 for line in cell.source.splitlines() if line.strip())
    return ReadingTime(words, code_lines, exercises)


READING_START = "<!-- reading-time: written by `python tools/notebooks.py reading-time --write` -->"
READING_END = "<!-- reading-time: end -->"


def reading_table(paths: list[Path]) -> str:
    """The Markdown table of :func:`reading_time` for each lesson, with the speeds it assumes."""
    lines = [f"Prose at {WORDS_PER_MINUTE} words a minute, visible code at {CODE_LINES_PER_MINUTE} lines a"
             f" minute, {MINUTES_PER_EXERCISE} minutes per exercise (collapsed check cells are optional"
             " and not counted):", "",
             "| lesson | words | code lines | exercises | minutes |", "|---|---:|---:|---:|---:|"]
    for path in paths:
        time = reading_time(nbformat.read(path, as_version=4))
        lines.append(f"| {path.stem} | {time.words:,} | {time.code_lines} | {time.exercises} | {time.minutes:.0f} |")
    return "\n".join(lines)


def write_reading_table(document: Path, table: str) -> None:
    """Replace the text between the reading-time markers of ``document`` by ``table`` (atomically)."""
    text = document.read_text(encoding="utf-8")
    if READING_START not in text or READING_END not in text:
        raise SystemExit(f"{document} lacks the reading-time markers; add the lines\n{READING_START}\n{READING_END}")
    before, rest = text.split(READING_START, 1)
    after = rest.split(READING_END, 1)[1]
    tmp = document.with_suffix(".md.tmp")
    tmp.write_text(f"{before}{READING_START}\n{table}\n{READING_END}{after}", encoding="utf-8")
    tmp.replace(document)


def write_notebook(path: str | Path, cells: list[nbformat.NotebookNode]) -> None:
    """Save ``cells`` as a stripped notebook at ``path`` (written to a temporary file, then renamed)."""
    path = Path(path)
    notebook = strip(nbformat.v4.new_notebook(cells=cells))
    nbformat.validate(notebook)
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    tmp.replace(path)


def problems(path: str | Path) -> list[str]:
    """Every convention ``path`` breaks, in plain words (an empty list when it is clean)."""
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    found = []
    cells = notebook.cells
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.startswith("# "):
        found.append("the first cell must be markdown starting with '# <title>'")
    else:
        repo_relative = path.resolve().relative_to(Path(__file__).resolve().parents[1])
        if colab_badge(repo_relative) not in cells[0].source:
            found.append(f"the first cell lacks the Colab badge for {repo_relative.as_posix()}")
    if len(cells) < 2 or cells[1].cell_type != "code" or cells[1].source != INSTALL_CELL:
        found.append("the second cell must be the standard install cell (tools/notebooks.py INSTALL_CELL)")
    for number, cell in enumerate(cells, 1):
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            found.append(f"cell {number} has outputs or an execution count (run: tools/notebooks.py strip)")
    if not any(cell.cell_type == "code" and ("assert" in cell.source or "check_" in cell.source) for cell in cells):
        found.append("no cell asserts anything or calls a checker: nbval would validate nothing")
    for number, cell in enumerate(cells, 1):
        if is_check_cell(cell) and not is_collapsed(cell):
            found.append(f"check cell {number} is not collapsed (run: tools/notebooks.py collapse)")
    for number, lines in long_visible_cells(notebook):
        found.append(f"cell {number} shows {lines} lines of code (over {MAX_VISIBLE_LINES}): fold a check"
                     " (first line '# check: ...') or move the code into the library")
    for number, cell in enumerate(cells, 1):  # slide marks are optional; when present they must be valid
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind not in SLIDE_TYPES:
            found.append(f"cell {number} has slide_type {kind!r}; use one of {', '.join(SLIDE_TYPES)}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="create a lesson with the standard first cells")
    new.add_argument("path", type=Path)
    new.add_argument("title")
    for name, help_text in [
        ("strip", "remove outputs in place"),
        ("collapse", "fold the check cells in place"),
        ("check", "report convention breaks"),
        ("slides", "mark slides in place for jupyter nbconvert --to slides"),
    ]:
        commands.add_parser(name, help=help_text).add_argument("paths", type=Path, nargs="+")
    reading = commands.add_parser("reading-time", help="minutes a student needs per lesson")
    reading.add_argument("paths", type=Path, nargs="+")
    reading.add_argument("--write", type=Path, metavar="MARKDOWN", help="replace the table in this file")
    args = parser.parse_args(argv)

    if args.command == "new":
        if args.path.exists():
            parser.error(f"{args.path} exists; pick a new file name")
        write_notebook(args.path, header_cells(args.path, args.title, ["TODO: the lesson's goals"]))
        return 0
    if args.command == "reading-time":
        table = reading_table(args.paths)
        if args.write:
            write_reading_table(args.write, table)
        print(table)
        return 0
    if args.command in ("strip", "slides", "collapse"):
        for path in args.paths:
            notebook = nbformat.read(path, as_version=4)
            if args.command == "slides":
                add_slide_metadata(notebook)
            write_notebook(path, notebook.cells)  # strips, and so collapses
        return 0
    status = 0
    for path in args.paths:
        for problem in problems(path):
            print(f"{path}: {problem}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
