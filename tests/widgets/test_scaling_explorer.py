"""The activation-scaling explorer, headless: construct it, move its sliders, click its button."""

import ipywidgets as widgets
import pytest

from inception_course.widgets import ActivationScalingExplorer, activation_scaling_explorer


@pytest.fixture(scope="module")
def explorer():
    return activation_scaling_explorer(scale=0.2)


def test_it_is_a_core_widget_with_the_paper_scales_marked(explorer):
    assert isinstance(explorer, widgets.VBox) and isinstance(explorer, ActivationScalingExplorer)
    labels = dict((value, label) for label, value in explorer.scale.options)
    assert [v for v, label in labels.items() if "paper" in label] == [0.1, 0.2, 0.3]
    assert min(labels) == 0.0 and max(labels) == 1.0
    assert set(explorer.stats) == {"scale 1", "scale 0.2"}


def test_the_recorded_experiment_is_shown_when_the_repository_ships_it(explorer):
    from inception_course.experiments.runs import REPO_RESULTS_DIR

    if not REPO_RESULTS_DIR.is_dir():
        pytest.skip("no data/results/")
    assert explorer.recorded and all(arms[0].scale == 1.0 for arms in explorer.recorded.values())


def test_moving_the_scale_slider_remeasures_and_the_ratio_follows(explorer):
    explorer.scale.value = 0.1
    assert set(explorer.stats) == {"scale 1", "scale 0.1"}
    first = [r for r in explorer.stats["scale 0.1"] if r.residual_ratio is not None][0]
    unscaled = [r for r in explorer.stats["scale 1"] if r.residual_ratio is not None][0]
    assert first.residual_ratio == pytest.approx(0.1 * unscaled.residual_ratio, rel=1e-4)
    assert "channels" in explorer.info.value


def test_a_plain_model_has_nothing_to_scale(explorer):
    explorer.model.value = "inception_v4"
    assert list(explorer.stats) == ["no residuals"]
    assert explorer.scale.disabled and explorer.run_button.disabled
    assert all(r.residual_ratio is None for r in explorer.stats["no residuals"])
    explorer.model.value = "inception_resnet_v1"
    assert not explorer.run_button.disabled


def test_the_button_runs_the_live_experiment(explorer, tmp_path, monkeypatch):
    monkeypatch.setenv("INCEPTION_COURSE_DATA", str(tmp_path))
    explorer.scale.value = 0.3
    explorer.lr.value = 0.1
    explorer.run_button.click()
    assert [arm.scale for arm in explorer.experiment] == [1.0, 0.3]
    # fast mode: into the widget's folder, which lives as long as the process - never the data root
    assert all(arm.run.path.is_relative_to(explorer.runs_dir) for arm in explorer.experiment)
    assert not any(arm.run.path.is_relative_to(tmp_path) for arm in explorer.experiment)
    assert all(arm.run.setting("lr") == pytest.approx(0.1) for arm in explorer.experiment)
    assert not explorer.run_button.disabled


def test_the_button_writes_where_it_is_told(tmp_path, monkeypatch):
    from inception_course.experiments import scaling

    calls = []
    monkeypatch.setattr(scaling, "run_scaling_experiment", lambda **kwargs: calls.append(kwargs) or [])
    chosen = activation_scaling_explorer(width=0.0625, runs_dir=tmp_path / "lesson06")
    chosen.run_button.click()
    assert calls[0]["out_dir"].parent == tmp_path / "lesson06" and calls[0]["out_dir"].name.startswith("scaling-")


def test_the_buttons_training_prints_its_progress_into_the_widget(tmp_path, monkeypatch):
    from inception_course.experiments import scaling

    from test_residual_explorer_layout import WatchedOutput

    chosen = activation_scaling_explorer(width=0.0625, runs_dir=tmp_path / "lesson06")
    chosen.experiment_output = WatchedOutput()
    seen = []
    monkeypatch.setattr(scaling, "run_scaling_experiment", lambda **kwargs: seen.append(chosen.experiment_output.capturing) or [])
    chosen.run_button.click()
    assert seen == [True]  # in the widget's output, not the log console a student never opens


def test_bad_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="width must be one of"):
        activation_scaling_explorer(width=0.3)
    with pytest.raises(ValueError, match="inception_resnet_v1"):
        activation_scaling_explorer(model="resnet50")
