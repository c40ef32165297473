"""Which exercises a lesson has, and which lesson a submission is a copy of.

The exercises of a lesson are read from the course's own lesson notebook (``lessons/NN_*.ipynb``:
every ``check_*`` call in it), so new exercises are graded as soon as the lesson calls their
checker. A submission's lesson comes from its title cell ("Lesson 4"), else its file name
(``04_...``), else the checkers it calls.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat


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
