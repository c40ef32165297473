"""Write, strip and check the course notebooks (see lessons/README.md for the conventions).

Lessons are stored without outputs or execution counts so that diffs stay readable and nbval's
``assert`` cells are what validates them. Four commands:

    python tools/notebooks.py new lessons/06_activation_scaling.ipynb "Activation scaling"
        a new lesson that already has the standard first cells (title + Colab badge, install cell)
    python tools/notebooks.py strip lessons/*.ipynb lessons/solutions/*.ipynb
        drop outputs, execution counts and editor metadata, in place
    python tools/notebooks.py check lessons/*.ipynb lessons/solutions/*.ipynb
        exit 1, naming the notebook and the rule, when one breaks a convention
    python tools/notebooks.py slides lessons/*.ipynb
        mark slides in place (see slide_types), so that `jupyter nbconvert --to slides` makes a deck

Authors who prefer writing a lesson in Python can build its cells with :func:`markdown` and
:func:`code` and save them with :func:`write_notebook`; the result is already stripped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from inception_course import REPO_URL

COLAB_URL = REPO_URL.replace("https://github.com/", "https://colab.research.google.com/github/") + "/blob/main/"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
KEPT_CELL_METADATA = ("slideshow",)  # what strip() keeps: slide marks are authored, not editor state

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


def strip(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts and per-cell/editor metadata (slide marks are kept);
    keep the kernelspec."""
    for cell in notebook.cells:
        cell.metadata = {key: cell.metadata[key] for key in KEPT_CELL_METADATA if key in cell.metadata}
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    notebook.nbformat, notebook.nbformat_minor = 4, 4
    return notebook


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
        ("check", "report convention breaks"),
        ("slides", "mark slides in place for jupyter nbconvert --to slides"),
    ]:
        commands.add_parser(name, help=help_text).add_argument("paths", type=Path, nargs="+")
    args = parser.parse_args(argv)

    if args.command == "new":
        if args.path.exists():
            parser.error(f"{args.path} exists; pick a new file name")
        write_notebook(args.path, header_cells(args.path, args.title, ["TODO: the lesson's goals"]))
        return 0
    if args.command in ("strip", "slides"):
        for path in args.paths:
            notebook = nbformat.read(path, as_version=4)
            if args.command == "slides":
                add_slide_metadata(notebook)
            write_notebook(path, notebook.cells)
        return 0
    status = 0
    for path in args.paths:
        for problem in problems(path):
            print(f"{path}: {problem}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
