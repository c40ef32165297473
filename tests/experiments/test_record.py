"""Provenance, the pair summary and the results index are read from the runs, never typed in."""

import json

import pytest

from inception_course.experiments import summarize_pair
from inception_course.experiments.record import (
    PAIR_DEFAULTS, README_END, README_START, main, pair_jobs, provenance, scaling_jobs, update_readme, write_index,
)
from inception_course.experiments.runs import load_run
from inception_course.experiments.scaling import OUTCOME_FILE, STATS_FILE


def _seeded(make_run, name, model, seed, top1, seconds_per_epoch=25.0):
    path = make_run(name, model=model, val=[(err, 0.5, 2.0) for err in top1])
    config = json.loads((path / "config.json").read_text())
    config["config"].update(seed=seed, data_kwargs={"num_images": 64})
    (path / "config.json").write_text(json.dumps(config))
    history = [json.loads(line) for line in (path / "history.jsonl").read_text().splitlines()]
    for record in history:
        if record["kind"] == "val":
            record["wall_time"] = seconds_per_epoch * record["epoch"]
    (path / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in history))
    return load_run(path)


def _pair(make_run, plain_curves, residual_curves, residual_seconds=25.0):
    runs = []
    for seed, (plain, residual) in enumerate(zip(plain_curves, residual_curves)):
        runs.append(_seeded(make_run, f"v3_vs_ir_v1-inception_v3-s{seed}", "inception_v3", seed, plain))
        runs.append(_seeded(make_run, f"v3_vs_ir_v1-inception_resnet_v1-s{seed}", "inception_resnet_v1", seed, residual, residual_seconds))
    return runs


def test_provenance_copies_the_run_environment(make_run):
    run = load_run(make_run("r", device="cpu"))
    info = provenance(run, "python -m x", "pair v3_vs_ir_v1")
    assert info["command"] == "python -m x" and info["device"] == "cpu" and info["image_size"] == 75
    assert info["data"] == "synthetic" and info["date"].startswith("2026")
    assert "cpu" in info["note"] and "not ImageNet" in info["note"]


def test_pair_summary_uses_the_median_curves_and_the_worse_final_error_as_target(make_run):
    plain = [[0.9, 0.8, 0.7, 0.6], [0.9, 0.85, 0.75, 0.65], [0.9, 0.7, 0.6, 0.5]]
    residual = [[0.8, 0.6, 0.5, 0.4], [0.7, 0.62, 0.5, 0.4], [0.85, 0.7, 0.6, 0.5]]
    s = summarize_pair(_pair(make_run, plain, residual, residual_seconds=30.0))
    assert s.pair == "v3_vs_ir_v1" and s.seeds == 3 and s.epochs == 4 and s.chance == pytest.approx(0.9)
    assert s.plain_final == pytest.approx(0.6) and s.plain_range == (pytest.approx(0.5), pytest.approx(0.65))
    assert s.residual_final == pytest.approx(0.4) and s.target == pytest.approx(0.6)
    # medians per epoch: plain 0.9, 0.8, 0.7, 0.6 (target at epoch 4); residual 0.8, 0.62, 0.5, 0.4 (epoch 3)
    assert (s.plain_epochs, s.residual_epochs, s.residual_reaches_plain_final) == (4, 3, 3)
    assert s.epoch_fraction == pytest.approx(0.75) and s.time_fraction == pytest.approx(90.0 / 100.0)


def test_when_the_plain_network_ends_lower_the_target_is_the_residual_final_error(make_run):
    s = summarize_pair(_pair(make_run, [[0.9, 0.8, 0.5]], [[0.7, 0.6, 0.6]]))
    assert s.target == pytest.approx(0.6) and (s.plain_epochs, s.residual_epochs) == (3, 2)
    assert s.residual_reaches_plain_final is None


def test_pair_summary_refuses_unmatched_seeds_or_mixed_pairs(make_run):
    runs = _pair(make_run, [[0.9, 0.5], [0.9, 0.6]], [[0.9, 0.4], [0.9, 0.4]])
    with pytest.raises(ValueError, match="different seeds"):
        summarize_pair(runs[:-1])
    other = _seeded(make_run, "v4_vs_ir_v2-inception_v4-s0", "inception_v4", 0, [0.9, 0.5])
    with pytest.raises(ValueError, match="exactly one pair"):
        summarize_pair(runs + [other])


def test_index_summarises_pairs_and_scaling_cells_from_the_histories(make_run, tmp_path):
    _pair(make_run, [[0.9, 0.61234]] * 3, [[0.6, 0.4]] * 3)
    dead = make_run("scaling-x", model="inception_resnet_v1", zeros=[1.0] * 4, val=((0.9, 0.5, 2.3), (0.87, 0.5, 2.3)))
    (dead / STATS_FILE).write_text(json.dumps({"rows": []}))
    (dead / OUTCOME_FILE).write_text(json.dumps({"finished": True, "error": None}))
    config = json.loads((dead / "config.json").read_text())
    config["config"].update(model_kwargs={"residual_scale": 1.0}, width=0.625, seed=0, lr=0.3)
    (dead / "config.json").write_text(json.dumps(config))
    write_index(tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert "| v3_vs_ir_v1 | 3 | 2 | 0.90 | 0.612 (0.612-0.612) | 0.400 (0.400-0.400) | 0.612 | 2 / 1 (0.50) | 50 / 25 (0.50) |" in text
    assert "| 0.625 | 1120 | 0.3 | 1 | 1 of 1 | 0.870 | 1.000 |" in text
    assert "| `v3_vs_ir_v1-inception_v3-s0` | inception_v3 | 0 | cpu | 2 | 50 | 0.612 | 0.500 |" in text


def test_the_readme_block_between_the_markers_is_rewritten_and_nothing_else(make_run, tmp_path):
    _pair(make_run, [[0.9, 0.6]] * 3, [[0.5, 0.4]] * 3)
    readme = tmp_path / "README.txt"
    readme.write_text(f"intro\n{README_START}\nstale numbers\n{README_END}\noutro\n")
    assert update_readme(readme, tmp_path)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{README_END}\noutro\n") and "stale" not in text
    assert "| v3_vs_ir_v1 | 3 | 2 | 0.90 | 0.600" in text
    readme.write_text("no markers\n")
    assert not update_readme(readme, tmp_path) and readme.read_text() == "no markers\n"


def test_jobs_put_both_networks_of_a_seed_side_by_side_and_cover_every_cell(tmp_path):
    jobs = pair_jobs(tmp_path, dict(PAIR_DEFAULTS, epochs=1), seeds=range(2))
    models = [(config["model"], config["seed"]) for _, config, _ in jobs]
    assert models[:4] == [("inception_v3", 0), ("inception_resnet_v1", 0), ("inception_v3", 1), ("inception_resnet_v1", 1)]
    assert all(config["depths"] == PAIR_DEFAULTS["depths"] and config["num_workers"] == 0 for _, config, _ in jobs)
    only_v4 = pair_jobs(tmp_path, dict(PAIR_DEFAULTS, epochs=1), seeds=range(1), pairs=["v4_vs_ir_v2"])
    assert [config["model"] for _, config, _ in only_v4] == ["inception_v4", "inception_resnet_v2"]
    arms = scaling_jobs(tmp_path, (0.125, 0.625), seeds=range(3))
    cells = {(c["width"], c["model_kwargs"]["residual_scale"]) for _, c, _ in arms}
    assert len(arms) == 12 and cells == {(0.125, 1.0), (0.125, 0.2), (0.625, 1.0), (0.625, 0.2)}
    assert {(c["data"], c["lr"]) for _, c, _ in arms} == {("fashion_mnist", 0.3)}
    assert {c["data"] for _, c, _ in jobs} == {"fashion_mnist"} and jobs[0][1]["data_kwargs"]["train_images"] == 4000


def test_more_jobs_than_cores_are_refused(monkeypatch, tmp_path):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--jobs", "3"])


def test_recording_into_the_repository_in_fast_mode_is_refused():
    with pytest.raises(SystemExit):
        main([])
