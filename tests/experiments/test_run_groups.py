"""Runs recorded with several seeds: grouped by experiment, drawn as a median with a min-max band."""

import json

import numpy as np
import pytest

from inception_course.experiments import group_runs, load_run, plot_runs, plot_scaling_experiment
from inception_course.experiments.activations import BlockStats
from inception_course.experiments.scaling import ScalingRun, Verdict
from inception_course.training.history import HistoryWriter


def write_run(root, name, model, seed, top1, wall, zeros=(0.5, 0.6), scale=None, provenance=True, width=0.125):
    """A run directory in the trainer's format, with its seed in the config."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    settings = {"model": model, "data": "synthetic", "seed": seed, "width": width, "lr": 0.1, "out": str(run_dir),
                "model_kwargs": {} if scale is None else {"residual_scale": scale}}
    config = {"config": settings, "environment": {"device": "cpu", "date": "2026-11-28T23:41:05+00:00"}}
    (run_dir / "config.json").write_text(json.dumps(config))
    if provenance:
        (run_dir / "provenance.json").write_text(json.dumps({"device": "cpu", "data": "synthetic"}))
    writer = HistoryWriter(run_dir)
    for step, zero in enumerate(zeros, start=1):
        writer.append({"kind": "train", "step": step, "epoch": step / len(zeros), "wall_time": wall * step,
                       "train_loss": 2.0 / step, "zero_fraction": zero, "grad_norm": 1.0})
    for epoch, err in enumerate(top1, start=1):
        writer.append({"kind": "val", "step": epoch * len(zeros), "epoch": epoch, "wall_time": wall * epoch * len(zeros),
                       "val_top1_err": err, "val_top5_err": err / 2, "val_loss": 2 * err})
    return run_dir


@pytest.fixture
def seeded(tmp_path):
    root = tmp_path / "results"
    for seed, (errs, wall) in enumerate([((0.9, 0.5, 0.3), 10.0), ((0.8, 0.6, 0.4), 12.0), ((0.85, 0.4, 0.2), 14.0)]):
        write_run(root, f"v3_vs_ir_v1-inception_v3-s{seed}", "inception_v3", seed, errs, wall)
    write_run(root, "v3_vs_ir_v1-inception_resnet_v1-s0", "inception_resnet_v1", 0, (0.7, 0.3, 0.1), 8.0)
    return root


def test_seeds_of_one_experiment_form_one_group(seeded, tmp_path):
    runs = [load_run(p) for p in sorted(seeded.iterdir())]
    groups = group_runs(runs + runs[:1])  # a run listed twice counts once
    assert [(g.name, g.seeds) for g in groups] == [
        ("v3_vs_ir_v1-inception_resnet_v1", [0]), ("v3_vs_ir_v1-inception_v3", [0, 1, 2])]
    assert groups[1].label == "inception_v3 (synthetic, cpu), median of 3 seeds"
    # another setting (width) or another folder is another experiment, even with the same name
    other = write_run(tmp_path / "elsewhere", "v3_vs_ir_v1-inception_v3-s0", "inception_v3", 0, (0.5,), 1.0)
    wider = write_run(seeded, "v3_vs_ir_v1-inception_v3-w1-s0", "inception_v3", 0, (0.5,), 1.0, width=1.0)
    assert len(group_runs(runs + [load_run(other), load_run(wider)])) == 4


def test_band_is_median_and_range_per_epoch_and_per_second(seeded):
    group = next(g for g in group_runs([load_run(p) for p in sorted(seeded.iterdir())]) if len(g.runs) == 3)
    xs, median, low, high = group.band("top1", "epoch")
    assert xs == [1, 2, 3]
    assert median == pytest.approx([0.85, 0.5, 0.3]) and low == pytest.approx([0.8, 0.4, 0.2]) and high == pytest.approx([0.9, 0.6, 0.4])
    seconds, median_t, _, _ = group.band("top1", "wall_time")
    assert seconds == pytest.approx([24.0, 48.0, 72.0]) and median_t == median  # median time of each epoch
    with pytest.raises(ValueError, match="choose one of"):
        group.band("accuracy")


def test_plot_runs_draws_median_line_and_band(seeded):
    runs = [load_run(p) for p in sorted(seeded.iterdir())]
    ax = plot_runs(runs, "top1", "epoch").axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 1  # one band, for the three-seed group
    assert list(ax.lines[1].get_ydata()) == pytest.approx([0.85, 0.5, 0.3])
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.2) and band[:, 1].max() == pytest.approx(0.9)
    assert "median of 3 seeds" in ax.lines[1].get_label()
    # band=False: one line per run
    assert len(plot_runs(runs, "top1", "epoch", band=False).axes[0].lines) == 4
    # a figure of its own keeps its legend below the axes, over no curve
    fig = plot_runs(runs, "top1", "epoch")
    fig.canvas.draw()
    assert fig.axes[0].get_legend().get_window_extent().y1 <= fig.axes[0].get_window_extent().y0


def test_runs_trained_here_are_labelled_apart_from_recorded_ones(tmp_path):
    recorded = load_run(write_run(tmp_path, "v3_vs_ir_v1-inception_v3", "inception_v3", 0, (0.5,), 1.0))
    yours = load_run(write_run(tmp_path / "new", "v3_vs_ir_v1-inception_v3-20261128-234105", "inception_v3", 0,
                               (0.5,), 1.0, provenance=False))
    untagged = load_run(write_run(tmp_path / "fresh", "v3_vs_ir_v1-inception_v3", "inception_v3", 0, (0.5,), 1.0, provenance=False))
    assert recorded.label == "inception_v3 (synthetic, cpu), seed 0"
    # one time format, whether a widget's button (a tagged folder) or a cell trained the run
    assert yours.label == untagged.label == "inception_v3 (synthetic, cpu), seed 0, trained here 2026-11-28 23:41:05 UTC"
    undated = load_run(write_run(tmp_path / "old", "v3_vs_ir_v1-inception_v3", "inception_v3", 0, (0.5,), 1.0, provenance=False))
    undated.config["environment"].pop("date")
    assert undated.label.endswith("trained here v3_vs_ir_v1-inception_v3")


def _arm(root, name, scale, seed, zeros, died):
    path = write_run(root, name, "inception_resnet_v1", seed, (0.9,), 1.0, zeros=zeros, scale=scale)
    stats = [BlockStats(i, f"b{i}", "residual", 0, 1, 1, 0.5, 0.1, 10.0 ** (seed - i)) for i in range(3)]
    return ScalingRun(scale, load_run(path), Verdict(died, "test"), stats)


def test_scaling_plot_counts_dead_seeds_and_keeps_its_legend_off_the_curves(tmp_path):
    arms = [_arm(tmp_path, f"scaling-inception_resnet_v1-w0.625-scale1-s{s}", 1.0, s, (0.9, 0.97 + 0.01 * s), s > 0)
            for s in range(3)]
    arms += [_arm(tmp_path, f"scaling-inception_resnet_v1-w0.625-scale0.2-s{s}", 0.2, s, (0.3, 0.4), False) for s in range(3)]
    fig = plot_scaling_experiment(arms)
    ax_loss, ax_zero, ax_grad, ax_blocks, ax_legend = fig.axes
    labels = [t.get_text() for t in ax_legend.get_legend().get_texts()]
    assert labels[:2] == ["scale 1: 2/3 seeds died (median, band: min-max)", "scale 0.2: 0/3 seeds died (median, band: min-max)"]
    assert "threshold" in labels[2]
    assert all(ax.get_legend() is None for ax in (ax_loss, ax_zero, ax_grad, ax_blocks))  # no legend over a curve
    fig.canvas.draw()  # the legend's box lies below every panel
    legend_top = ax_legend.get_legend().get_window_extent().y1
    assert all(legend_top <= ax.get_window_extent().y0 for ax in (ax_grad, ax_blocks))
    assert list(ax_zero.lines[0].get_ydata()) == pytest.approx([0.9, 0.98])  # the median seed
    assert len(ax_zero.collections) == 2  # one band per arm
    assert list(ax_blocks.lines[0].get_ydata()) == pytest.approx([10.0, 1.0, 0.1])  # median per block
    assert np.isclose(ax_zero.lines[-1].get_ydata()[0], 0.95)  # the threshold line is drawn
