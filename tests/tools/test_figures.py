"""The committed figures in lessons/figures/ are what the library draws now (tools/figures.py), and
the lessons embed them."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("course_figures", REPO / "tools" / "figures.py")
figures = importlib.util.module_from_spec(_spec)
sys.modules["course_figures"] = figures
_spec.loader.exec_module(figures)


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_committed_figure_matches_what_the_library_draws(name: str) -> None:
    committed = figures.path_of(name)
    assert committed.exists(), f"run: python tools/figures.py {name}"
    problem = figures.difference(committed.read_bytes(), figures.render(name))
    assert problem is None, f"{committed.name}: {problem}; run: python tools/figures.py {name} and commit it"
    assert committed.stat().st_size < 60_000, "keep figures small (a few tens of KB)"


def test_a_changed_drawing_is_detected() -> None:
    naive = figures.path_of("naive_module").read_bytes()
    assert figures.difference(naive, naive) is None
    assert figures.difference(naive, figures.path_of("module_3a").read_bytes()) is not None  # another figure
    fig = figures.FIGURES["naive_module"].draw()
    fig.axes[0].set_title("Naive Inception module, retitled")  # the same size, a different label
    import io
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=figures.DPI, bbox_inches="tight")
    retitled = buffer.getvalue()
    assert figures.difference(figures.render("naive_module"), retitled) is not None


def test_every_lesson_figure_is_embedded_and_every_embedded_figure_exists() -> None:
    lessons = {path.name[:2]: path.read_text(encoding="utf-8") for path in (REPO / "lessons").glob("[0-9]*.ipynb")}
    for name, spec in figures.FIGURES.items():
        if spec.lesson not in {"06", "08"}:  # lessons 6 and 8 are being rewritten; their author embeds these
            assert f"](figures/{name}.png)" in lessons[spec.lesson], f"lesson {spec.lesson} does not embed {name}.png"
    for text in lessons.values():
        for embedded in re.findall(r"\]\(figures/([^)]+)\)", text):
            assert (REPO / "lessons" / "figures" / embedded).exists(), embedded
