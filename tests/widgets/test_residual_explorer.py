"""The residual-vs-plain explorer, headless, over run directories the tests write."""

import json

import ipywidgets as widgets
import pytest

from inception_course.training.history import HistoryWriter
from inception_course.widgets import residual_vs_plain_explorer


def write_run(root, name, model, device="cpu", seed=None, recorded=False):
    """A two-epoch run directory in the trainer's format (``recorded``: with a provenance.json)."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    config = {"config": {"model": model, "data": "synthetic", "seed": seed}, "environment": {"device": device}}
    (run_dir / "config.json").write_text(json.dumps(config))
    if recorded:
        (run_dir / "provenance.json").write_text(json.dumps({"device": device, "data": "synthetic"}))
    writer = HistoryWriter(run_dir)
    for epoch in (1, 2):
        writer.append({"kind": "val", "step": 4 * epoch, "epoch": epoch, "wall_time": 30.0 * epoch,
                       "val_loss": 2.0 / epoch, "val_top1_err": 0.9 / epoch, "val_top5_err": 0.5 / epoch})


@pytest.fixture
def results(tmp_path):
    root = tmp_path / "results"
    write_run(root, "v3_vs_ir_v1-inception_v3", "inception_v3")
    write_run(root, "v3_vs_ir_v1-inception_resnet_v1", "inception_resnet_v1", device="cuda")
    write_run(root, "v4_vs_ir_v2-inception_v4", "inception_v4")
    write_run(root, "scaling-inception_resnet_v1-lr0.45-scale1", "inception_resnet_v1")
    return root


def test_lists_the_chosen_pair_and_plots_labelled_curves(results, tmp_path):
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    assert isinstance(explorer, widgets.VBox)
    assert explorer.pair.value == "v3_vs_ir_v1"
    assert sorted(r.name for r in explorer.plotted) == ["v3_vs_ir_v1-inception_resnet_v1", "v3_vs_ir_v1-inception_v3"]
    assert "inception_resnet_v1 (synthetic, cuda)" in [label for label, _ in explorer.runs.options][0]
    explorer.pair.value = "v4_vs_ir_v2"
    assert [r.name for r in explorer.plotted] == ["v4_vs_ir_v2-inception_v4"]


def test_controls_change_what_is_plotted(results, tmp_path):
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    explorer.runs.value = (explorer.runs.options[0][1],)
    assert len(explorer.plotted) == 1
    explorer.x_axis.value = "wall_time"
    explorer.metric.value = "top5"
    explorer.smoothing.value = 0.5
    assert len(explorer.plotted) == 1  # redrawn without error for every control


def test_an_empty_results_folder_says_how_to_get_runs(tmp_path):
    explorer = residual_vs_plain_explorer(tmp_path / "nothing", new_runs_dir=tmp_path / "new")
    assert explorer.plotted == [] and "no recorded runs" in explorer.status.value


def test_the_button_trains_a_short_pair_and_lists_it_apart(results, tmp_path):
    write_run(results, "v4_vs_ir_v2-inception_resnet_v2", "inception_resnet_v2", seed=0, recorded=True)
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    explorer.pair.value = "v4_vs_ir_v2"
    explorer.run_button.click()
    names = {r.setting("model") for r in explorer.plotted}
    assert names == {"inception_v4", "inception_resnet_v2"}
    new = [r for r in explorer.plotted if r.path.is_relative_to(tmp_path / "new")]
    assert len(new) == 2 and all(r.curve("top1")[0] == [1, 2] for r in new)
    assert "trained" in explorer.status.value
    # the new runs are new entries with their own labels (seed and time stamp), once each
    labels = [label for label, _ in explorer.runs.options]
    assert len(labels) == 4 and len(set(labels)) == 4
    legend = [line.get_label() for line in explorer.figure.axes[0].lines]
    assert len(legend) == len(set(legend)) == 4
    assert sum("trained here" in label and "seed 0" in label for label in legend) == 2
    explorer.reload()  # reading the folders again lists nothing twice
    assert len(explorer.runs.options) == 4 and len(explorer.plotted) == 4
    again = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    again.pair.value = "v4_vs_ir_v2"
    assert {r.path for r in new} <= {r.path for r in again.plotted}, "new runs are found on reload"


def test_seeds_of_one_run_are_one_entry_drawn_as_a_band(tmp_path):
    root = tmp_path / "results"
    for seed in range(3):
        write_run(root, f"v3_vs_ir_v1-inception_v3-s{seed}", "inception_v3", seed=seed, recorded=True)
        write_run(root, f"v3_vs_ir_v1-inception_resnet_v1-s{seed}", "inception_resnet_v1", seed=seed, recorded=True)
    explorer = residual_vs_plain_explorer(root, new_runs_dir=tmp_path / "new")
    assert len(explorer.runs.options) == 2 and len(explorer.plotted) == 6
    assert all("median of 3 seeds" in label for label, _ in explorer.runs.options)
    assert len(explorer.figure.axes[0].collections) == 2  # one min-max band per network


def test_a_run_keeps_its_colour_when_others_are_hidden(results, tmp_path):
    write_run(results, "v3_vs_ir_v1-inception_v3-tagged", "inception_v3")
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    colours = {line.get_label(): line.get_color() for line in explorer.figure.axes[0].lines}
    assert len(set(colours.values())) == len(colours) == 3
    for keep in explorer.runs.options:
        explorer.runs.value = (keep[1],)
        (line,) = explorer.figure.axes[0].lines
        assert line.get_color() == colours[line.get_label()]
    explorer.pair.value = "v4_vs_ir_v2"
    explorer.pair.value = "v3_vs_ir_v1"  # switching pairs back does not reassign colours either
    assert {line.get_label(): line.get_color() for line in explorer.figure.axes[0].lines} == colours


def test_new_runs_go_to_a_folder_that_outlives_the_lesson_cells(results, tmp_path, monkeypatch):
    monkeypatch.setenv("INCEPTION_COURSE_DATA", str(tmp_path / "data"))
    explorer = residual_vs_plain_explorer(results)  # fast mode (set by conftest): a per-process folder
    assert explorer.new_runs_dir.is_dir() and not explorer.new_runs_dir.is_relative_to(tmp_path / "data")
    assert str(explorer.new_runs_dir) in explorer.status.value
    monkeypatch.setenv("INCEPTION_COURSE_FAST", "0")
    assert residual_vs_plain_explorer(results).new_runs_dir == tmp_path / "data" / "runs" / "residual_vs_plain"


def test_the_pair_dropdown_fits_its_titles(results, tmp_path):
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    longest = max(len(title) for title, _ in explorer.pair.options)
    assert int(explorer.pair.layout.width.rstrip("px")) >= 90 + 8 * longest  # label column + ~8 px a character
