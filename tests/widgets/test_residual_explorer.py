"""The residual-vs-plain explorer, headless, over run directories the tests write."""

import json

import ipywidgets as widgets
import pytest

from inception_course.training.history import HistoryWriter
from inception_course.widgets import residual_vs_plain_explorer


def write_run(root, name, model, device="cpu"):
    """A two-epoch run directory in the trainer's format."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    config = {"config": {"model": model, "data": "synthetic"}, "environment": {"device": device}}
    (run_dir / "config.json").write_text(json.dumps(config))
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


def test_the_button_trains_a_short_pair_and_lists_it(results, tmp_path):
    explorer = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    explorer.pair.value = "v4_vs_ir_v2"
    explorer.run_button.click()
    names = {r.setting("model") for r in explorer.plotted}
    assert names == {"inception_v4", "inception_resnet_v2"}
    new = [r for r in explorer.plotted if r.path.is_relative_to(tmp_path / "new")]
    assert len(new) == 2 and all(r.curve("top1")[0] == [1, 2] for r in new)
    assert "trained" in explorer.status.value
    again = residual_vs_plain_explorer(results, new_runs_dir=tmp_path / "new")
    again.pair.value = "v4_vs_ir_v2"
    assert {r.path for r in new} <= {r.path for r in again.plotted}, "new runs are found on reload"
