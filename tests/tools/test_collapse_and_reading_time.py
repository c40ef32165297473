"""Narrative first (check cells folded, no long visible code cell) and the measured reading time of
each lesson in docs/teaching.md, both from tools/notebooks.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "lessons").rglob("*.ipynb"))
LESSONS = sorted((REPO / "lessons").glob("[0-9]*.ipynb"))
# Lessons exempt from the long-cell rule (none now).
NOT_YET_TIGHTENED: set[str] = set()

_spec = importlib.util.spec_from_file_location("course_notebooks", REPO / "tools" / "notebooks.py")
notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks)


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


def test_collapse_folds_marked_cells_only_and_is_idempotent() -> None:
    marked = notebooks.code("# check: the sum is right\nassert 1 + 1 == 2")
    plain = notebooks.code("# a comment, not a marker\nx = 1")
    notebook = notebooks.collapse(_notebook(marked, plain))
    assert notebooks.is_collapsed(notebook.cells[0])
    assert notebook.cells[0].source == "#@title check: the sum is right\nassert 1 + 1 == 2"
    assert notebook.cells[0].metadata == {"jupyter": {"source_hidden": True}, "cellView": "form"}
    assert not notebooks.is_collapsed(notebook.cells[1]) and notebook.cells[1].metadata == {}
    again = notebooks.collapse(notebooks.strip(notebook))  # strip keeps the fold; a second pass changes nothing
    assert [c.source for c in again.cells] == [c.source for c in notebook.cells]
    assert again.cells[0].metadata == notebook.cells[0].metadata


def test_a_marked_cell_without_its_metadata_is_reported_and_a_long_cell_is_found() -> None:
    unfolded = notebooks.code("#@title check: folded by hand, metadata lost\nassert True")
    long_cell = notebooks.code("\n".join(f"x{i} = {i}" for i in range(notebooks.MAX_VISIBLE_LINES + 1)))
    short_cell = notebooks.code("\n".join(f"x{i} = {i}" for i in range(notebooks.MAX_VISIBLE_LINES)))
    long_check = notebooks.code("# check: long but folded\n" + long_cell.source)
    notebook = notebooks.collapse(_notebook(unfolded, long_cell, short_cell, long_check))
    notebook.cells[0].metadata = {}
    assert not notebooks.is_check_cell(long_cell) and notebooks.is_check_cell(unfolded)
    assert notebooks.long_visible_cells(notebook) == [(2, notebooks.MAX_VISIBLE_LINES + 1)]
    exercises = _notebook(notebooks.markdown("Next: lesson 2\n\n## Exercises"), long_cell)
    assert notebooks.long_visible_cells(exercises) == []  # exercise skeletons are not narrative


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_long_visible_code_cell_and_every_check_cell_folded(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert all(notebooks.is_collapsed(cell) for cell in notebook.cells if notebooks.is_check_cell(cell))
    if path.name not in NOT_YET_TIGHTENED:
        assert notebooks.long_visible_cells(notebook) == [], "collapse a check or move code into the library"


def test_reading_time_counts_prose_code_and_exercises() -> None:
    notebook = _notebook(
        notebooks.markdown("# Title\n\nSee [the paper](https://arxiv.org/abs/1602.07261) now."),
        notebooks.code(notebooks.INSTALL_CELL),
        notebooks.code("a = 1\n\nb = 2"),
        notebooks.code("# check: not counted\nassert a == 1"),
        notebooks.markdown("## Exercises\n\n### Exercise 1: one\n\n### Exercise 2: two"),
    )
    time = notebooks.reading_time(notebook)
    assert (time.words, time.code_lines, time.exercises) == (12, 2, 2)  # 5 + 7 words: a link reads as its text
    expected = 12 / notebooks.WORDS_PER_MINUTE + 2 / notebooks.CODE_LINES_PER_MINUTE + 2 * notebooks.MINUTES_PER_EXERCISE
    assert time.minutes == pytest.approx(expected)


def test_the_teaching_guide_quotes_the_current_reading_times() -> None:
    guide = (REPO / "docs" / "teaching.md").read_text(encoding="utf-8")
    quoted = guide.split(notebooks.READING_START, 1)[1].split(notebooks.READING_END, 1)[0].strip()
    assert quoted == notebooks.reading_table(LESSONS), "run: python tools/notebooks.py reading-time lessons/[0-9]*.ipynb --write docs/teaching.md"


def test_write_reading_table_replaces_only_the_marked_part(tmp_path: Path) -> None:
    document = tmp_path / "guide.md"
    document.write_text(f"before\n{notebooks.READING_START}\nold\n{notebooks.READING_END}\nafter\n")
    notebooks.write_reading_table(document, "new")
    assert document.read_text() == f"before\n{notebooks.READING_START}\nnew\n{notebooks.READING_END}\nafter\n"
    (tmp_path / "bare.md").write_text("no markers")
    with pytest.raises(SystemExit, match="markers"):
        notebooks.write_reading_table(tmp_path / "bare.md", "new")
