"""Reading run directories into curves, smoothing, and the curve plot."""

import json
import math

import pytest

from inception_course.experiments import list_runs, load_run, plot_runs, smooth
from inception_course.experiments.runs import RESULTS_ENV, results_dir


def test_curves_come_from_the_right_records(make_run):
    run = load_run(make_run("a", val=[(0.9, 0.5, 2.3), (0.7, 0.3, 1.9), (0.6, 0.2, 1.5)], zeros=[0.5] * 6))
    assert run.curve("top1", "epoch") == ([1, 2, 3], [0.9, 0.7, 0.6])
    assert run.curve("top5", "wall_time") == ([25.0, 50.0, 75.0], [0.5, 0.3, 0.2])
    assert run.curve("loss", "step") == ([2, 4, 6], [2.3, 1.9, 1.5])
    steps, losses = run.curve("train_loss", "step")
    assert steps == [1, 2, 3, 4, 5, 6] and losses[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="top1"):
        run.curve("accuracy")
    with pytest.raises(ValueError, match="wall_time"):
        run.curve("top1", "minutes")


def test_label_names_model_data_and_device_and_provenance_wins(make_run):
    path = make_run("b", model="inception_resnet_v1", device="cuda")
    assert load_run(path).label == "inception_resnet_v1 (synthetic, cuda), trained here 2026-01-01 00:00:00 UTC"  # not recorded
    (path / "provenance.json").write_text(json.dumps({"device": "cuda:0 (H100)"}))
    assert load_run(path).label == "inception_resnet_v1 (synthetic, cuda:0 (H100))"


def test_list_runs_finds_run_directories_only(make_run, tmp_path, monkeypatch):
    make_run("z")
    make_run("a")
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    assert [r.name for r in list_runs(tmp_path)] == ["a", "z"]
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path))
    assert results_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="data/results"):
        list_runs(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="history.jsonl"):
        load_run(tmp_path / "not-a-run")


def test_smoothing():
    values = [1.0, 3.0, 2.0, 5.0]
    assert smooth(values, 0.0) == values
    assert smooth([4.0] * 5, 0.9) == pytest.approx([4.0] * 5)  # debiased: no pull towards zero
    smoothed = smooth(values, 0.5)
    assert smoothed[0] == 1.0 and min(values) <= smoothed[-1] < 5.0
    assert math.isnan(smooth([1.0, float("nan"), 2.0], 0.5)[1])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        smooth(values, 1.0)


def test_plot_runs_draws_one_labelled_curve_per_run(make_run):
    runs = [load_run(make_run("p", model="inception_v3")), load_run(make_run("r", model="inception_resnet_v1"))]
    fig = plot_runs(runs, metric="top5", x="wall_time", smoothing=0.5)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == [r.label for r in runs]
    assert list(ax.lines[0].get_xdata()) == [25.0, 50.0]
    assert "wall-clock" in ax.get_xlabel()
    with pytest.raises(ValueError, match="metric"):
        plot_runs(runs, metric="accuracy")
