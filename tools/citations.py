"""Check every figure/table citation in the course against one mapping (inception_course.models.paper).

    python tools/citations.py                 # the whole repository: lessons, READMEs, docs, code
    python tools/citations.py lessons/08_residual_vs_plain.ipynb

prints one line per wrong citation (file:line, the citation, what is wrong, the text around it) and
exits 1 when there is one. The rules:

* A citation is "Fig. N", "Figs. N-M", "Figure N", "Table N", "Tables N, M and K" (ranges and
  lists are expanded). It refers to the Inception-v4 paper in arXiv 1602.07261 numbering, unless a
  marker of another paper (``OTHER_PAPERS[...].markers``, e.g. "GoogLeNet paper", "v3 paper")
  comes shortly before it in the same paragraph, or the file is about that paper
  (:data:`FILE_PAPERS`).
* An arXiv number must exist, and the text around it must name one of the item's ``subjects``
  (each number of a range on its own; spaces, hyphens and case are ignored)
  (so that "Figs. 8-11" for training curves fails: in arXiv numbering those are the Reduction-B,
  Inception-v4 and IR-v1 blocks).
* "AAAI Fig. N" must sit next to the arXiv citation it translates ("Fig. 3 (AAAI Fig. 2)") and
  agree with the mapping.
* A citation of another paper must be one of the numbers listed for that paper.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from inception_course.models.paper import FIGURES, OTHER_PAPERS, TABLES, Item

REPO = Path(__file__).resolve().parents[1]

#: Files about one earlier paper: their bare citations refer to it.
FILE_PAPERS = {
    "inception_course/models/googlenet.py": "googlenet",
    "inception_course/models/bn_inception.py": "bn_inception",
    "inception_course/models/inception_v3.py": "inception_v3",
    "tests/models/test_googlenet.py": "googlenet",
    "tests/models/test_bn_inception.py": "bn_inception",
    "tests/models/test_inception_v3.py": "inception_v3",
}
#: Where citations live; this checker, its test and the mapping itself are left out (they hold examples).
SOURCES = ("README.md", "lessons", "docs", "inception_course", "tests", "tools", "benchmarks")
SKIP = {"tools/citations.py", "tests/tools/test_citations.py", "inception_course/models/paper.py"}

CITATION = re.compile(
    r"(?P<prefix>\b(?:AAAI|arXiv)\s+)?\b(?P<kind>Figs?\.|Figures?|Tables?)\s+"
    r"(?P<nums>\d+(?:\s*(?:-|–|,|and|&)\s*\d+)*)"
)
V4_MARKERS = ("arXiv", "AAAI", "v4 paper", "Inception-v4 paper")
LOOK_BACK = 120  # characters before a citation searched for a paper's marker
CONTEXT = 240  # characters either side searched for an item's subjects
PAIR = 80  # how far an AAAI citation may sit from the arXiv one it translates


@dataclass(frozen=True)
class Citation:
    path: str
    line: int
    text: str
    kind: str  # "Fig." or "Table"
    numbers: tuple[int, ...]
    aaai: bool
    paper: str  # "inception_v4" or a key of OTHER_PAPERS
    start: int
    end: int


def _numbers(nums: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|and|&)\s*", nums):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2:
            out += range(int(bounds[0]), int(bounds[1]) + 1)
        else:
            out.append(int(bounds[0]))
    return tuple(out)


def _paper(block: str, start: int, default: str) -> str:
    """The paper a citation at ``start`` refers to: the last marker in the same paragraph shortly before."""
    window = block[max(0, start - LOOK_BACK):start].split("\n\n")[-1]
    best, where = default, -1
    for key, paper in OTHER_PAPERS.items():
        for marker in paper.markers:
            at = window.rfind(marker)
            if at > where:
                best, where = key, at
    for marker in V4_MARKERS:
        at = window.rfind(marker)
        if at > where:
            best, where = "inception_v4", at
    return best


def find_citations(
    block: str, path: str = "<text>", first_line: int = 1, default: str = "inception_v4"
) -> list[Citation]:
    """Every citation in ``block`` (one notebook cell, or one file), with the paper it refers to."""
    found = []
    for match in CITATION.finditer(block):
        kind = "Fig." if match["kind"].startswith("Fig") else "Table"
        aaai = (match["prefix"] or "").strip() == "AAAI"
        paper = "inception_v4" if match["prefix"] else _paper(block, match.start(), default)
        line = first_line + block.count("\n", 0, match.start())
        found.append(Citation(path, line, match.group(0), kind, _numbers(match["nums"]), aaai, paper,
                              match.start(), match.end()))
    return found


def _plain(text: str) -> str:
    """Lower case without spaces and hyphens: 'Inception-A' matches the class name 'InceptionA'."""
    return re.sub(r"[\s\-‐–]", "", text.lower())


def _items(kind: str) -> dict[int, Item]:
    return FIGURES if kind == "Fig." else TABLES


def _snippet(block: str, c: Citation) -> str:
    return " ".join(block[max(0, c.start - 60):c.end + 40].split())


def problems_in(block: str, path: str = "<text>", first_line: int = 1, default: str = "inception_v4") -> list[str]:
    """One message per wrong citation in ``block``."""
    citations = find_citations(block, path, first_line, default)
    messages = []
    for c in citations:
        where = f"{c.path}:{c.line}: '{c.text}'"
        if c.paper != "inception_v4":
            other = OTHER_PAPERS[c.paper]
            known = other.figures if c.kind == "Fig." else other.tables
            for n in c.numbers:
                if n not in known:
                    messages.append(f"{where}: the course cites no {c.kind} {n} of {other.name} "
                                    f"(known: {sorted(known)}; add it to OTHER_PAPERS if it is right)")
            continue
        items = _items(c.kind)
        if c.aaai:
            valid = {item.aaai for item in items.values() if item.aaai}
            partners = [
                p for p in citations
                if p is not c and not p.aaai and p.paper == "inception_v4" and p.kind == c.kind
                and (0 <= c.start - p.end <= PAIR or 0 <= p.start - c.end <= PAIR)
            ]
            bad = [n for n in c.numbers if n not in valid]
            if bad:
                messages.append(f"{where}: the AAAI version has no {c.kind} {bad[0]}")
            elif not partners:
                messages.append(f"{where}: give the arXiv number beside it, e.g. '{c.kind} N (AAAI {c.kind} "
                                f"{c.numbers[0]})'; text: '{_snippet(block, c)}'")
            else:
                numbers = [n for p in partners for n in p.numbers if n in items]
                if not set(c.numbers) <= {items[n].aaai for n in numbers}:
                    arxiv = ", ".join(f"{n} -> AAAI {items[n].aaai}" for n in numbers)
                    cited = " / ".join(f"'{p.text}'" for p in partners)
                    messages.append(f"{where}: does not translate {cited} (arXiv {arxiv})")
            continue
        missing = [n for n in c.numbers if n not in items]
        if missing:
            messages.append(f"{where}: arXiv {c.kind} {missing[0]} does not exist (arXiv {c.kind} 1-{max(items)}); "
                            f"text: '{_snippet(block, c)}'")
            continue
        around = _plain(block[max(0, c.start - CONTEXT):c.end + CONTEXT])
        for n in c.numbers:
            if not any(_plain(s) in around for s in items[n].subjects):
                messages.append(f"{where}: in arXiv numbering {c.kind} {n} is '{items[n].title}', but the text "
                                f"around it names none of {list(items[n].subjects)}; text: '{_snippet(block, c)}'")
                break
    return messages


def _blocks(path: Path) -> list[tuple[str, int]]:
    """(text, first line) pieces of a file: each notebook cell, or the whole file."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return [(cell.source, 1) for cell in nb.cells]
    return [(path.read_text(encoding="utf-8"), 1)]


def problems(path: Path) -> list[str]:
    """Every wrong citation in one file (a notebook's lines count within its cell: 'cell k, line n')."""
    rel = path.resolve().relative_to(REPO).as_posix()
    default = FILE_PAPERS.get(rel, "inception_v4")
    out = []
    for k, (text, first) in enumerate(_blocks(path)):
        name = f"{rel} (cell {k})" if path.suffix == ".ipynb" else rel
        out += problems_in(text, name, first, default)
    return out


def course_files() -> list[Path]:
    """The files whose citations are checked: lessons, READMEs, docs and code."""
    files: list[Path] = []
    for source in SOURCES:
        root = REPO / source
        candidates = [root] if root.is_file() else sorted(
            p for ext in ("*.py", "*.md", "*.ipynb") for p in root.rglob(ext)
        )
        files += [p for p in candidates if p.relative_to(REPO).as_posix() not in SKIP
                  and ".ipynb_checkpoints" not in p.parts]
    return files


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or course_files()
    found = [message for path in paths for message in problems(path)]
    ok = f"{len(paths)} files: every citation agrees with inception_course.models.paper"
    print("\n".join(found) if found else ok)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
