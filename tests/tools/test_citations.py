"""Every figure/table citation in the lessons, READMEs, docs and code follows one numbering (arXiv
1602.07261, AAAI in parentheses) and names what the mapping in inception_course.models.paper says
that number is; tools/citations.py does the checking and names each wrong citation."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from inception_course.models.paper import FIGURES, OTHER_PAPERS, TABLES, cite

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("course_citations", REPO / "tools" / "citations.py")
citations = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = citations  # dataclasses look their module up
_spec.loader.exec_module(citations)

FILES = citations.course_files()


def test_the_checker_reads_the_lessons_readmes_and_code() -> None:
    names = {p.relative_to(REPO).as_posix() for p in FILES}
    assert {"README.md", "lessons/README.md", "lessons/04_inception_v4.ipynb",
            "inception_course/models/differences.py", "inception_course/evaluation/tables.py"} <= names
    assert sum(len(citations.find_citations(text)) for p in FILES for text, _ in citations._blocks(p)) > 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_citation_agrees_with_the_mapping(path: Path) -> None:
    found = citations.problems(path)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "text",
    [
        "Fig. 3 (AAAI Fig. 2): the stem",
        "the stem of Fig. 14 (AAAI Fig. 6, right)",
        "Inception-A (Fig. 4, AAAI Fig. 3)",
        "training curves of Figs. 21-26 (AAAI Figs. 8-11)",
        "single crop results: Table 2 (AAAI Table 1)",
        "Reduction-A's k, l, m, n (Table 1)",
        "the GoogLeNet paper's Table 1: 3x3 max pool",
        "the v3 paper's Fig. 5 module",
    ],
)
def test_right_citations_pass(text: str) -> None:
    assert citations.problems_in(text) == []


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("the training curves of Figs. 8-11", "Fig. 8 is 'Reduction-B"),  # AAAI numbers given as arXiv
        ("the single-crop results (Tables 1-4)", "Table 1 is 'Reduction-A"),
        ("Fig. 3 (AAAI Fig. 3): the stem", "does not translate 'Fig. 3'"),
        ("the ensemble, AAAI Table 4", "give the arXiv number beside it"),
        ("the stem of Fig. 27", "Fig. 27 does not exist"),
        ("the GoogLeNet paper's Table 4", "cites no Table 4 of GoogLeNet"),
        ("the AAAI Fig. 12 schema", "the AAAI version has no Fig. 12"),
    ],
)
def test_wrong_citations_are_named(text: str, complaint: str) -> None:
    (message,) = citations.problems_in(text, "lesson.ipynb (cell 3)")
    assert message.startswith("lesson.ipynb (cell 3):1: ") and complaint in message


def test_a_file_about_an_earlier_paper_cites_it_by_default() -> None:
    text = "# Table 1: the rows of module 3a"
    assert citations.problems_in(text, default="googlenet") == []
    assert citations.problems_in(text)  # in the v4 paper Table 1 is Reduction-A's


def test_the_mapping_is_one_numbering() -> None:
    assert sorted(FIGURES) == list(range(1, 27)) and sorted(TABLES) == list(range(1, 6))
    assert sorted({item.aaai for item in FIGURES.values() if item.aaai}) == list(range(1, 12))
    assert {n: item.aaai for n, item in TABLES.items()} == {1: None, 2: 1, 3: 2, 4: 3, 5: 4}
    assert cite("Fig.", 3) == "Fig. 3 (AAAI Fig. 2)" and cite("Table", 1) == "Table 1 (not in the AAAI version)"
    with pytest.raises(ValueError, match="has no Fig. 30"):
        cite("Fig.", 30)
    assert all(paper.url.startswith("https://arxiv.org/abs/") for paper in OTHER_PAPERS.values())


def test_the_readme_links_every_paper_the_course_cites() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Further reading"):]
    links = [paper.url for paper in OTHER_PAPERS.values()]
    links += ["https://arxiv.org/abs/1602.07261", "https://arxiv.org/abs/1512.03385"]  # the v4 paper, ResNet
    assert all(f"({link})" in section for link in links)
