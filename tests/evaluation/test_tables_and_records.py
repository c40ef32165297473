"""Paper-layout tables (paper rows labelled as such) and record files with provenance."""

import json

import pytest

from inception_course.evaluation import (
    EvalResult,
    PAPER_TABLES,
    load_record,
    paper_results,
    results_table,
    save_record,
)


def measured() -> EvalResult:
    return EvalResult("TinyNet", "144", n_images=8, correct={1: 6, 5: 8}, dataset="SyntheticShapes",
                      provenance={"device": "cpu", "torch": "2.x", "date": "2026-01-01T00:00:00+00:00"})


def test_result_tables_hold_the_paper_numbers_in_arxiv_numbering():
    assert sorted(PAPER_TABLES) == [2, 3, 4, 5]  # result Tables 2-5 (AAAI Tables 1-4)
    rows = {row.network: (row.top1_error, row.top5_error) for row in PAPER_TABLES[2]}
    assert rows == {
        "BN-Inception": (25.2, 7.8),
        "Inception-v3": (21.2, 5.6),
        "Inception-ResNet-v1": (21.3, 5.5),
        "Inception-v4": (20.0, 5.0),
        "Inception-ResNet-v2": (19.9, 4.9),
    }
    assert {row.crops for row in PAPER_TABLES[4] if row.network.startswith("Inception")} == {"144"}
    assert [row.models for row in PAPER_TABLES[5]] == [6, 4, 4]
    with pytest.raises(KeyError, match="add 1 to an AAAI table number"):
        PAPER_TABLES[1]


def test_the_resnet_row_is_marked_as_the_papers_slip():
    """The 10-crop ResNet row repeats BN-Inception's single-crop numbers; its source says so."""
    resnet = next(row for row in PAPER_TABLES[3] if row.network.startswith("ResNet"))
    bn = next(row for row in PAPER_TABLES[2] if row.network == "BN-Inception")
    assert (resnet.top1_error, resnet.top5_error) == (bn.top1_error, bn.top5_error)
    assert "slip" in resnet.source and "21.4 / 5.7" in resnet.source
    assert all("slip" not in row.source for t in PAPER_TABLES.values() for row in t if row is not resnet)


def test_text_and_html_label_paper_and_measured_rows():
    table = results_table(measured(), paper=[2, 4], title="Single model")
    text = str(table)
    assert text.splitlines()[1].split()[:3] == ["Network", "Crops", "Top-1"]
    assert "paper, Table 2 (AAAI 1)" in text and "paper, Table 4 (AAAI 3)" in text
    assert text.splitlines()[-1].split() == [
        "TinyNet", "144", "25.0%", "0.0%", "measured,", "8", "images", "of", "SyntheticShapes", "on", "cpu"
    ]
    html = table._repr_html_()
    assert html.count("<tr>") == 1 + len(PAPER_TABLES[2]) + len(PAPER_TABLES[4]) + 1
    assert "<caption>Single model</caption>" in html and "measured, 8 images" in html
    assert "N/A" in str(results_table(paper=5)) and "Models" in str(results_table(paper=5))
    with pytest.raises(ValueError, match="Tables 2-5"):
        paper_results(1)


def test_record_round_trip_keeps_numbers_and_provenance(tmp_path):
    path = save_record(tmp_path / "runs" / "tiny.json", [measured()], command="pytest")
    assert not list(path.parent.glob(".*tmp"))
    (loaded,) = load_record(path)
    assert loaded.correct == {1: 6, 5: 8} and loaded.top1_error == 25.0 and loaded.top5_error == 0.0
    assert loaded.provenance["device"] == "cpu" and loaded.provenance["command"] == "pytest"
    assert "inception_course" in loaded.provenance["code"]
    assert json.loads(path.read_text())["results"][0]["scheme"] == "144"


def test_bad_record_files_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_record"):
        load_record(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not an evaluation record"):
        load_record(tmp_path / "other.json")
