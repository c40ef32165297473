"""Every lesson and solution notebook follows the conventions of lessons/README.md (badge, install
cell, stored without outputs, something that validates), checked by tools/notebooks.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "lessons").rglob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("course_notebooks", REPO / "tools" / "notebooks.py")
notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks)


def test_the_course_has_all_eleven_lessons() -> None:
    lessons = [p.name[:2] for p in NOTEBOOKS if p.parent.name == "lessons"]
    assert lessons == [f"{n:02d}" for n in range(11)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_notebook_follows_the_conventions(path: Path) -> None:
    assert notebooks.problems(path) == []


def test_a_notebook_with_outputs_and_no_checks_is_reported(tmp_path: Path) -> None:
    lesson = REPO / "lessons" / "00_setup.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    cell = notebooks.code("print('hi')")
    cell.outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    cell.execution_count = 1
    notebook.cells = notebook.cells[:2] + [cell]
    bad = REPO / "lessons" / "_bad_for_test.ipynb"  # inside lessons/ so the badge path resolves
    try:
        nbformat.write(notebook, bad)
        found = notebooks.problems(bad)
    finally:
        bad.unlink(missing_ok=True)
    assert any("outputs" in problem for problem in found)
    assert any("validate nothing" in problem for problem in found)
    assert any("badge" in problem for problem in found)  # the badge names 00_setup, not this file


def test_a_long_visible_code_cell_is_reported_and_a_folded_one_is_not() -> None:
    notebook = nbformat.read(REPO / "lessons" / "00_setup.ipynb", as_version=4)
    body = "\n".join(f"x{i} = {i}" for i in range(notebooks.MAX_VISIBLE_LINES + 1))
    notebook.cells = notebook.cells[:2] + [notebooks.code(body), notebooks.code("# check: long but folded\n" + body)]
    bad = REPO / "lessons" / "_long_for_test.ipynb"  # inside lessons/ so the badge path resolves
    try:
        notebooks.write_notebook(bad, notebook.cells)   # strips, so the check cell is folded
        found = notebooks.problems(bad)
    finally:
        bad.unlink(missing_ok=True)
    long = [problem for problem in found if "lines of code" in problem]
    assert long == [f"cell 3 shows {notebooks.MAX_VISIBLE_LINES + 1} lines of code (over {notebooks.MAX_VISIBLE_LINES}):"
                    " fold a check (first line '# check: ...') or move the code into the library"]
