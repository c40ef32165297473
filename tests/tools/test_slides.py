"""Every lesson converts to a reveal.js slide deck, with or without slide marks; tools/notebooks.py
marks slides from the headings, and strip/check keep and validate the marks."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert import SlidesExporter

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location("course_notebooks", REPO / "tools" / "notebooks.py")
notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks)


def headings(notebook, prefix):
    return sum(cell.cell_type == "markdown" and cell.source.lstrip().startswith(prefix) for cell in notebook.cells)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_lesson_converts_to_slides(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    as_stored, _ = SlidesExporter().from_notebook_node(notebook)  # whether or not marks are stored yet
    assert "reveal" in as_stored
    marked, _ = SlidesExporter().from_notebook_node(notebooks.add_slide_metadata(notebook))
    slides = headings(notebook, ("# ", "## "))
    assert slides >= 2
    # reveal.js: one <section> per slide, plus one per subslide nested inside its slide
    assert marked.count("<section") >= slides + headings(notebook, "### ")


def test_slide_types_follow_the_headings() -> None:
    cells = [notebooks.markdown("# Lesson"), notebooks.markdown("## Part"), notebooks.markdown("### Detail"),
             notebooks.markdown("Some text"), notebooks.code("x = 1")]
    notebook = notebooks.add_slide_metadata(nbformat.v4.new_notebook(cells=cells))
    assert [cell.metadata["slideshow"]["slide_type"] for cell in notebook.cells] == ["slide", "slide", "subslide", "-", "-"]
    stripped = notebooks.strip(notebook)
    assert stripped.cells[2].metadata == {"slideshow": {"slide_type": "subslide"}}  # strip keeps the marks


def test_slides_command_then_nbconvert_cli(tmp_path: Path) -> None:
    copy = tmp_path / LESSONS[3].name
    shutil.copy(LESSONS[3], copy)
    assert notebooks.main(["slides", str(copy)]) == 0
    notebook = nbformat.read(copy, as_version=4)
    assert all("slideshow" in cell.metadata for cell in notebook.cells)
    assert [cell.source for cell in notebook.cells] == [cell.source for cell in nbformat.read(LESSONS[3], 4).cells]
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "slides", str(copy)], check=True, capture_output=True)
    assert copy.with_suffix(".slides.html").stat().st_size > 10_000


def test_check_reports_an_unknown_slide_type() -> None:
    lesson = REPO / "lessons" / "00_setup.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells[0].metadata["slideshow"] = {"slide_type": "big"}
    bad = REPO / "lessons" / "_bad_slides_for_test.ipynb"  # inside lessons/ so the badge path resolves
    try:
        nbformat.write(notebook, bad)
        found = notebooks.problems(bad)
    finally:
        bad.unlink(missing_ok=True)
    assert any("slide_type 'big'" in problem for problem in found)
