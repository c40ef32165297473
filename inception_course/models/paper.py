"""The papers' figures and tables by number: one mapping that every citation in the course follows.

The course cites the Inception-v4 paper in the numbering of its arXiv version, 1602.07261, which
draws every block in a figure of its own (26 figures, 5 tables). The AAAI 2017 version merges
blocks into fewer figures and drops the Reduction-A table, so its numbers differ; where a reader may
hold that version, the text gives the AAAI number in parentheses: "Fig. 3 (AAAI Fig. 2)".

:data:`FIGURES` and :data:`TABLES` map each arXiv number to an :class:`Item`: its AAAI number (or
``None``), a title, and the words that text citing it mentions (``tests/tools/test_citations.py``
finds every "Fig. N" / "Table N" in the lessons, READMEs and code and checks it against this
mapping). :data:`OTHER_PAPERS` lists the figures and tables the course cites from the earlier
papers (GoogLeNet, BN-Inception, Inception-v3); a citation belongs to one of those when one of the
paper's ``markers`` comes shortly before it ("the GoogLeNet paper's Table 1", "v3 paper Fig. 5").
:func:`cite` writes a citation in the course's form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ARXIV_ID = "1602.07261"


@dataclass(frozen=True)
class Item:
    """One figure or table: ``aaai`` is its number in the AAAI version (``None``: not there),
    ``subjects`` the words of which text citing it names at least one (case-insensitive)."""

    title: str
    aaai: int | None
    subjects: tuple[str, ...]


_CURVES = ("training", "error", "curve", "top-1", "top-5", "residual vs", "residual and", "vs Inception-ResNet")

#: arXiv figure number -> figure (AAAI numbers: Fig. 1 holds arXiv 1-2, Fig. 2 arXiv 9 and 3, Fig. 3
#: arXiv 4-6, Fig. 4 the IR-v1 blocks, Fig. 5 the IR-v2 blocks, Fig. 6 arXiv 15 and 14).
FIGURES: dict[int, Item] = {
    1: Item("residual connection as in He et al.", 1, ("residual", "He et al")),
    2: Item("optimised residual connection (1x1 conv)", 1, ("residual", "1x1")),
    3: Item("stem of Inception-v4 and Inception-ResNet-v2", 2, ("stem",)),
    4: Item("Inception-A (35x35), Inception-v4", 3, ("Inception-A", "35x35")),
    5: Item("Inception-B (17x17), Inception-v4", 3, ("Inception-B", "17x17")),
    6: Item("Inception-C (8x8), Inception-v4", 3, ("Inception-C", "8x8")),
    7: Item("Reduction-A (35x35 -> 17x17), k, l, m, n from Table 1", None,
            ("Reduction-A", "35x35 -> 17x17", "k, l, m, n")),
    8: Item("Reduction-B (17x17 -> 8x8), Inception-v4", None, ("Reduction-B", "17x17 -> 8x8")),
    9: Item("Inception-v4, the whole network", 2,
            ("Inception-v4", "schema", "network", "dropout", "repeats", "depths")),
    10: Item("Inception-ResNet-A, Inception-ResNet-v1", 4, ("Inception-ResNet-A", "IR-v1", "ResNet-v1", "residual")),
    11: Item("Inception-ResNet-B, Inception-ResNet-v1", 4, ("Inception-ResNet-B", "IR-v1", "ResNet-v1", "residual")),
    12: Item("Reduction-B, Inception-ResNet-v1", None, ("Reduction-B", "IR-v1", "ResNet-v1")),
    13: Item("Inception-ResNet-C, Inception-ResNet-v1", 4, ("Inception-ResNet-C", "IR-v1", "ResNet-v1", "residual")),
    14: Item("stem of Inception-ResNet-v1", 6, ("stem", "ResNet-v1", "IR-v1")),
    15: Item("Inception-ResNet-v1 and -v2, the whole network", 6,
             ("schema", "network", "Inception-ResNet", "IR-v", "dropout", "blocks", "repeat")),
    16: Item("Inception-ResNet-A, Inception-ResNet-v2", 5, ("Inception-ResNet-A", "IR-v2", "ResNet-v2", "expansion")),
    17: Item("Inception-ResNet-B, Inception-ResNet-v2", 5, ("Inception-ResNet-B", "IR-v2", "ResNet-v2", "expansion")),
    18: Item("Reduction-B, Inception-ResNet-v2", None, ("Reduction-B", "IR-v2", "ResNet-v2")),
    19: Item("Inception-ResNet-C, Inception-ResNet-v2", 5, ("Inception-ResNet-C", "IR-v2", "ResNet-v2", "expansion")),
    20: Item("scaling of the residuals", 7, ("scal",)),
    21: Item("top-1 error during training, Inception-v3 vs Inception-ResNet-v1", 8, _CURVES),
    22: Item("top-5 error during training, Inception-v3 vs Inception-ResNet-v1", None, _CURVES),
    23: Item("top-1 error during training, Inception-v4 vs Inception-ResNet-v2", 9, _CURVES),
    24: Item("top-5 error during training, Inception-v4 vs Inception-ResNet-v2", None, _CURVES),
    25: Item("top-5 error during training, all four networks", 10, _CURVES),
    26: Item("top-1 error during training, all four networks", 11, _CURVES),
}

#: arXiv table number -> table (the AAAI version has no Table 1; its Tables 1-4 are arXiv 2-5).
TABLES: dict[int, Item] = {
    1: Item("Reduction-A filter counts k, l, m, n", None, ("Reduction-A", "k, l, m, n", "filter")),
    2: Item("single crop, single model", 1, ("single crop", "single-crop", "crop", "result", "error")),
    3: Item("10/12 crops, single model", 2, ("12 crop", "12-crop", "10/12", "crops", "result", "error")),
    4: Item("144 crops, single model", 3, ("144", "crops", "result", "error")),
    5: Item("ensembles, 144 crops", 4, ("ensemble", "result", "error")),
}


@dataclass(frozen=True)
class OtherPaper:
    """An earlier paper the course cites by figure or table: ``markers`` name it in the text;
    ``figures`` / ``tables`` map the numbers the course uses to their titles."""

    name: str
    url: str
    markers: tuple[str, ...]
    figures: dict[int, str] = field(default_factory=dict)
    tables: dict[int, str] = field(default_factory=dict)


OTHER_PAPERS: dict[str, OtherPaper] = {
    "googlenet": OtherPaper(
        "GoogLeNet: Szegedy et al., Going deeper with convolutions (2014)",
        "https://arxiv.org/abs/1409.4842",
        ("GoogLeNet paper", "GoogLeNet's paper", "Going deeper"),
        figures={2: "the Inception module: (a) naive, (b) with 1x1 reductions", 3: "the whole network"},
        tables={1: "the network, layer by layer: filter counts, parameters, ops"},
    ),
    "bn_inception": OtherPaper(
        "BN-Inception: Ioffe & Szegedy, Batch Normalization (2015)",
        "https://arxiv.org/abs/1502.03167",
        ("BN paper", "BN-Inception paper", "Batch Normalization paper"),
        figures={5: "the network, layer by layer (a table drawn as a figure)"},
    ),
    "inception_v3": OtherPaper(
        "Inception-v3: Szegedy et al., Rethinking the Inception Architecture (2015)",
        "https://arxiv.org/abs/1512.00567",
        ("v3 paper", "Inception-v3 paper", "Rethinking"),
        figures={
            5: "35x35 module: 5x5 as two 3x3",
            6: "17x17 module: n x n as 1 x n and n x 1",
            7: "8x8 module: 1x3 and 3x1 side by side",
            10: "grid-size reduction",
        },
        tables={1: "the network, layer by layer", 3: "single-crop results of the variants, one change at a time"},
    ),
}


def cite(kind: str, number: int) -> str:
    """The course's form of a citation of the v4 paper: ``cite("Fig.", 3)`` -> ``"Fig. 3 (AAAI Fig. 2)"``.

    ``kind`` is ``"Fig."`` or ``"Table"``; an item with no AAAI counterpart says so.
    """
    items = {"Fig.": FIGURES, "Table": TABLES}
    if kind not in items:
        raise ValueError(f"kind must be 'Fig.' or 'Table', got {kind!r}")
    if number not in items[kind]:
        raise ValueError(f"arXiv {ARXIV_ID} has no {kind} {number}: it has 1-{max(items[kind])}")
    aaai = items[kind][number].aaai
    return f"{kind} {number} (" + (f"AAAI {kind} {aaai})" if aaai else "not in the AAAI version)")
