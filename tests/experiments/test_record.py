"""Provenance and the results index are read from the runs, never typed in."""

import json

import pytest

from inception_course.experiments.record import main, provenance, write_index
from inception_course.experiments.runs import load_run
from inception_course.experiments.scaling import OUTCOME_FILE, STATS_FILE


def test_provenance_copies_the_run_environment(make_run):
    run = load_run(make_run("r", device="cpu"))
    info = provenance(run, "python -m x", "pair v3_vs_ir_v1")
    assert info["command"] == "python -m x" and info["device"] == "cpu" and info["image_size"] == 75
    assert info["data"] == "synthetic" and info["date"].startswith("2026")
    assert "cpu" in info["note"] and "not ImageNet" in info["note"]


def test_index_lists_every_run_with_numbers_from_its_history(make_run, tmp_path):
    make_run("v3", model="inception_v3", val=[(0.9, 0.5, 2.3), (0.61234, 0.25, 1.9)])
    dead = make_run("scaling-x", model="inception_resnet_v1", zeros=[1.0] * 4)
    (dead / STATS_FILE).write_text(json.dumps({"rows": []}))
    (dead / OUTCOME_FILE).write_text(json.dumps({"finished": True, "error": None}))
    config = json.loads((dead / "config.json").read_text())
    config["config"]["model_kwargs"] = {"residual_scale": 1.0}
    (dead / "config.json").write_text(json.dumps(config))
    write_index(tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert "| `v3` | inception_v3 | synthetic | cpu | 2 | 50 | 0.612 | 0.250 |" in text
    assert "`scaling-x`" in text and "died: yes" in text


def test_recording_into_the_repository_in_fast_mode_is_refused():
    with pytest.raises(SystemExit):
        main([])
