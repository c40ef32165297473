"""Results in the paper's layout (network, crops, top-1 error, top-5 error), paper and measured side by side.

:data:`PAPER_TABLES` holds the published result rows of Szegedy et al., "Inception-v4,
Inception-ResNet and the Impact of Residual Connections on Learning", copied from the paper's text
and keyed, as everywhere in the course, by the arXiv 1602.07261 numbers: Tables 2-5 (AAAI Tables
1-4; arXiv Table 1 is Reduction-A's filter counts). Every row says where it comes from:
``"paper, Table 3 (AAAI 2)"`` or ``"measured, ..."``, so a reader never mistakes a number measured
here (perhaps on a synthetic set, on a CPU) for a published one. Note the paper's own caveat: the
single-crop results of Table 2 are on the non-blacklisted part of the ILSVRC-2012 validation set,
the crop and ensemble results of Tables 3-5 on all 50,000 images.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable, Sequence

from .records import EvalResult

# Our model names -> the paper's network names, for side-by-side rows.
PAPER_NAMES = {
    "googlenet": "GoogLeNet",
    "inception_v2": "BN-Inception",
    "inception_v3": "Inception-v3",
    "inception_v4": "Inception-v4",
    "inception_resnet_v1": "Inception-ResNet-v1",
    "inception_resnet_v2": "Inception-ResNet-v2",
}


@dataclass(frozen=True)
class ResultRow:
    """One table row. Errors in percent (``None`` where the paper prints N/A)."""

    network: str
    crops: str
    top1_error: float | None
    top5_error: float | None
    source: str
    models: int = 1

    @classmethod
    def from_result(cls, result: EvalResult) -> "ResultRow":
        where = result.provenance.get("device", "?")
        source = f"measured, {result.n_images} images of {result.dataset or '?'} on {where}"
        top1, top5 = (result.error(k) if k in result.correct else None for k in (1, 5))
        return cls(result.network, result.scheme.replace("single", "1"), top1, top5, source, result.models)


def _paper(table: int, rows: Iterable[tuple], notes: dict[str, str] | None = None) -> tuple[ResultRow, ...]:
    """Rows of arXiv Table ``table``; ``notes`` adds a remark to a network's source."""
    source = f"paper, Table {table} (AAAI {table - 1})"
    notes = notes or {}
    return tuple(
        ResultRow(*row[:4], source=source + (f"; {notes[row[0]]}" if row[0] in notes else ""),
                  models=row[4] if len(row) > 4 else 1)
        for row in rows
    )


class _Tables(dict):
    """A dict that answers a wrong table number with the numbering it uses."""

    def __missing__(self, key: object) -> tuple[ResultRow, ...]:
        raise KeyError(
            f"PAPER_TABLES has Tables {min(self)}-{max(self)} (arXiv 1602.07261 numbering; AAAI Tables "
            f"{min(self) - 1}-{max(self) - 1}), not {key!r}: add 1 to an AAAI table number"
        )


#: What the ResNet row of Table 3 prints, and what He et al. report.
RESNET_SLIP = (
    "as printed, a slip: the numbers are BN-Inception's single-crop row; He et al. report "
    "21.4 / 5.7 for ResNet-152 with 10 crops"
)

PAPER_TABLES: dict[int, tuple[ResultRow, ...]] = _Tables({
    # Table 2 (AAAI 1): single crop, single model (non-blacklisted ILSVRC-2012 validation images).
    2: _paper(2, [
        ("BN-Inception", "1", 25.2, 7.8),
        ("Inception-v3", "1", 21.2, 5.6),
        ("Inception-ResNet-v1", "1", 21.3, 5.5),
        ("Inception-v4", "1", 20.0, 5.0),
        ("Inception-ResNet-v2", "1", 19.9, 4.9),
    ]),
    # Table 3 (AAAI 2): 10/12 crops, single model (all 50,000 validation images). The ResNet row is
    # as printed (BN-Inception's single-crop numbers); its source says so.
    3: _paper(3, [
        ("ResNet (He et al. 2015)", "10", 25.2, 7.8),
        ("Inception-v3", "12", 19.8, 4.6),
        ("Inception-ResNet-v1", "12", 19.8, 4.6),
        ("Inception-v4", "12", 18.7, 4.2),
        ("Inception-ResNet-v2", "12", 18.7, 4.1),
    ], notes={"ResNet (He et al. 2015)": RESNET_SLIP}),
    # Table 4 (AAAI 3): 144 crops, single model (all 50,000); the caption adds ResNet-151's 'dense' result.
    4: _paper(4, [
        ("ResNet-151 (He et al. 2015)", "dense", 19.4, 4.5),
        ("Inception-v3", "144", 18.9, 4.3),
        ("Inception-ResNet-v1", "144", 18.8, 4.3),
        ("Inception-v4", "144", 17.7, 3.8),
        ("Inception-ResNet-v2", "144", 17.8, 3.7),
    ]),
    # Table 5 (AAAI 4): ensembles of N models, 144 crops (ResNet: dense); v4(+Residual) = 1 v4 + 3 IR-v2.
    5: _paper(5, [
        ("ResNet (He et al. 2015)", "dense", None, 3.6, 6),
        ("Inception-v3", "144", 17.3, 3.6, 4),
        ("Inception-v4(+Residual)", "144", 16.4, 3.1, 4),
    ]),
})


def paper_results(tables: int | Sequence[int] = (2, 3, 4, 5)) -> list[ResultRow]:
    """The published rows of the paper's result ``tables`` (arXiv numbers 2-5, AAAI 1-4)."""
    tables = [tables] if isinstance(tables, int) else list(tables)
    unknown = [t for t in tables if t not in PAPER_TABLES]
    if unknown:
        raise ValueError(
            f"the paper's results are Tables 2-5 (arXiv 1602.07261 numbering; AAAI Tables 1-4), not {unknown}"
        )
    return [row for t in tables for row in PAPER_TABLES[t]]


def _percent(value: float | None) -> str:
    return "N/A" if value is None else f"{value:.1f}%"


class ResultsTable:
    """Rows in the paper's layout; ``print(table)`` for text, displayed as HTML in a notebook."""

    def __init__(self, rows: Sequence[ResultRow], title: str = "") -> None:
        self.rows, self.title = list(rows), title

    def _columns(self) -> list[tuple[str, list[str]]]:
        columns = [("Network", [r.network for r in self.rows]), ("Crops", [r.crops for r in self.rows])]
        if any(r.models != 1 for r in self.rows):
            columns.append(("Models", [str(r.models) for r in self.rows]))
        columns += [
            ("Top-1 error", [_percent(r.top1_error) for r in self.rows]),
            ("Top-5 error", [_percent(r.top5_error) for r in self.rows]),
            ("Source", [r.source for r in self.rows]),
        ]
        return columns

    def __str__(self) -> str:
        columns = self._columns()
        widths = [max(len(head), *(len(cell) for cell in cells)) if cells else len(head) for head, cells in columns]

        def line(cells: list[str]) -> str:
            return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

        lines = [self.title] if self.title else []
        lines += [line([head for head, _ in columns]), line(["-" * width for width in widths])]
        lines += [line([cells[i] for _, cells in columns]) for i in range(len(self.rows))]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        columns = self._columns()
        head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cells[i])}</td>" for _, cells in columns) + "</tr>"
            for i in range(len(self.rows))
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def results_table(
    *results: EvalResult | ResultRow, paper: int | Sequence[int] | None = None, title: str = ""
) -> ResultsTable:
    """A :class:`ResultsTable` of the paper's result table(s) ``paper`` (arXiv numbers 2-5, if given)
    followed by ``results``."""
    rows = paper_results(paper) if paper is not None else []
    rows += [r if isinstance(r, ResultRow) else ResultRow.from_result(r) for r in results]
    return ResultsTable(rows, title)
