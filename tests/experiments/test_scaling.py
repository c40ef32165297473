"""The "died" criterion on known histories, and one tiny live scaling experiment end to end."""

import json

from inception_course.experiments import died, load_run, plot_scaling_experiment, run_scaling_experiment
from inception_course.experiments.activations import FEATURES
from inception_course.experiments.scaling import (
    OUTCOME_FILE, died_fractions, last_layer_silent, learned, load_scaling_run, recorded_experiments, scaling_settings,
    tail_zero_fraction,
)


STUCK = ((0.9, 0.5, 2.3), (0.88, 0.5, 2.3))      # final error 2 points below chance (0.9): stayed up
LEARNING = ((0.9, 0.5, 2.3), (0.45, 0.1, 1.2))   # 45 points below chance: learned
SILENT = [0.2, 0.6, 0.9, 1.0, 1.0, 0.995, 1.0, 1.0]


def test_a_silent_last_layer_and_an_error_that_stayed_up_is_dying(make_run):
    run = load_run(make_run("dead", val=STUCK, zeros=SILENT))
    verdict = died(run)
    assert verdict.died and "exactly zero" in verdict.reason and "88.0%" in verdict.reason
    assert str(verdict).startswith("died: yes") and not learned(run)


def test_zeros_alone_are_not_dying_when_the_network_learns(make_run):
    """The paper's death is a network that stops learning; a mostly-zero ReLU map of a run that learns is not it."""
    run = load_run(make_run("silent-but-learning", val=LEARNING, zeros=SILENT))
    verdict = died(run)
    assert last_layer_silent(run.curve("zero_fraction", "step")[1]) and learned(run)
    assert not verdict.died and "it learned" in verdict.reason


def test_an_error_at_chance_with_a_live_last_layer_is_not_the_papers_death(make_run):
    verdict = died(load_run(make_run("stuck", val=STUCK, zeros=[0.5] * 8)))
    assert not verdict.died and "not silent" in verdict.reason


def test_a_run_that_keeps_half_its_activations_did_not_die(make_run):
    verdict = died(load_run(make_run("alive", val=STUCK, zeros=[0.5, 0.5, 1.0, 0.4, 0.5, 0.5, 0.5, 0.5])))
    assert not verdict.died and str(verdict).startswith("died: no")
    # The criterion looks at the end of the run, not at a passing spike or an early phase.
    assert not died(load_run(make_run("recovered", val=STUCK, zeros=[1.0] * 6 + [0.5, 0.5]))).died


def test_silence_and_learning_thresholds_are_inclusive_and_read_the_tail():
    assert last_layer_silent([0.0] * 6 + [0.95, 0.95]) and not last_layer_silent([0.0] * 6 + [0.94, 0.94])
    assert last_layer_silent([0.5, 0.99], tail=0.5) and not last_layer_silent([0.5, 0.99], tail=1.0)
    assert not last_layer_silent([]) and tail_zero_fraction([]) is None
    assert tail_zero_fraction([0.1, 0.2, 0.3, 0.5], tail=0.5) == 0.4


def test_a_non_finite_loss_counts_as_dying(make_run):
    path = make_run("nan", zeros=[0.5, 0.5])
    (path / OUTCOME_FILE).write_text(json.dumps({"finished": False, "error": "the training loss became NaN at step 7; stopped"}))
    verdict = died(load_run(path))
    assert verdict.died and "NaN at step 7" in verdict.reason


def test_no_measurements_is_reported_not_guessed(make_run):
    verdict = died(load_run(make_run("short", zeros=[])))
    assert not verdict.died and "no zero-fraction" in verdict.reason


def test_settings_are_shared_and_overridable():
    settings = scaling_settings(lr=0.3, epochs=2)
    assert settings["lr"] == 0.3 and settings["epochs"] == 2 and settings["warmup_epochs"] == 0.0


def test_live_experiment_trains_both_scales_with_identical_settings(tmp_path):
    arms = run_scaling_experiment(scales=(1.0, 0.2), out_dir=tmp_path, lr=0.1)
    assert [a.scale for a in arms] == [1.0, 0.2]
    configs = [dict(a.run.config["config"]) for a in arms]
    assert [c.pop("model_kwargs") for c in configs] == [{"residual_scale": 1.0}, {"residual_scale": 0.2}]
    width = scaling_settings()["width"]
    assert [c.pop("out") for c in configs] == [
        str(tmp_path / f"scaling-inception_resnet_v1-w{width:g}-lr0.1-scale{s}-s0") for s in ("1", "0.2")
    ]
    assert configs[0] == configs[1]
    for arm in arms:
        steps, zeros = arm.run.curve("zero_fraction", "step")
        assert len(steps) == arm.run.config["resolved"]["steps_per_epoch"] and all(0 <= z <= 1 for z in zeros)
        assert arm.run.curve("grad_norm", "step")[1], "gradient norms are logged"
        assert arm.final_stats[-1].block == FEATURES and arm.final_stats[0].grad_norm > 0
        assert not (arm.run.path / "checkpoints").exists()
        assert isinstance(arm.verdict.died, bool)
    fig = plot_scaling_experiment(arms)
    assert len(fig.axes) == 5 and len(fig.axes[0].lines) == 2  # four panels and the legend below them
    single = [line for line in fig.axes[2].lines if len(line.get_xdata()) == 1]  # one epoch: one error point
    assert single and all(line.get_marker() not in (None, "None", "") for line in single)  # drawn, not invisible


def _arm(make_run, name, width, scale, seed, zeros):
    path = make_run(name, model="inception_resnet_v1", zeros=zeros, val=STUCK)
    config = json.loads((path / "config.json").read_text())
    config["config"].update(width=width, seed=seed, lr=0.45, model_kwargs={"residual_scale": scale})
    (path / "config.json").write_text(json.dumps(config))
    (path / "block_stats.json").write_text(json.dumps({"rows": []}))
    return path


def test_recorded_arms_are_grouped_by_width_and_died_seeds_counted_per_cell(make_run, tmp_path):
    dead, alive = [1.0] * 8, [0.5] * 8
    for seed, zeros in enumerate([dead, dead, alive]):
        _arm(make_run, f"wide-1-{seed}", 0.625, 1.0, seed, zeros)
        _arm(make_run, f"wide-02-{seed}", 0.625, 0.2, seed, alive)
        _arm(make_run, f"narrow-1-{seed}", 0.125, 1.0, seed, alive if seed else dead)
    groups = recorded_experiments(tmp_path)
    assert list(groups) == [0.125, 0.625]
    assert [a.scale for a in groups[0.625]] == [1.0, 1.0, 1.0, 0.2, 0.2, 0.2]
    table = died_fractions([arm for arms in groups.values() for arm in arms])
    assert table == {(0.125, 0.45, 1.0): (1, 3), (0.625, 0.45, 1.0): (2, 3), (0.625, 0.45, 0.2): (0, 3)}
    assert list(table) == [(0.125, 0.45, 1.0), (0.625, 0.45, 1.0), (0.625, 0.45, 0.2)]
    assert load_scaling_run(tmp_path / "wide-1-0").verdict.died


def test_the_recorded_table_has_one_line_per_cell_with_each_seeds_verdict_inputs():
    from inception_course.experiments import died_fractions, list_runs, load_scaling_run, scaling_table
    from inception_course.experiments.scaling import final_error

    recorded = [load_scaling_run(run.path) for run in list_runs() if run.name.startswith("scaling-")]
    cells = died_fractions(recorded)
    lines = scaling_table(recorded).splitlines()
    assert len(lines) == len(cells) + 2 and lines[-1].startswith("recorded on ")  # a blank line, then provenance
    for line, ((width, lr, scale), (dead, total)) in zip(lines, cells.items()):
        assert line.startswith(f"width {width:<6g}") and f"scale {scale:<4g} died in {dead} of {total} |" in line
        seeds = [a for a in recorded if (a.run.setting("width"), a.run.setting("lr"), a.scale) == (width, lr, scale)]
        errors = line.split("final error per seed ")[1].split(" |")[0].split(", ")
        assert sorted(errors) == sorted(f"{final_error(a.run):.1%}" for a in seeds)
    assert "1120 channels" in scaling_table(recorded)  # width 0.625: the wide blocks the lesson names
