"""The runs shipped in data/results/: complete, aligned, and carrying their provenance."""

import math

import pytest

from inception_course.experiments import PAIRS, list_runs, load_scaling_run, pair_of
from inception_course.experiments.runs import REPO_RESULTS_DIR
from inception_course.experiments.scaling import STATS_FILE

pytestmark = pytest.mark.skipif(not REPO_RESULTS_DIR.is_dir(), reason="no data/results/ (not a clone of the course)")
PROVENANCE = ("command", "device", "torch", "date", "data", "image_size")


@pytest.fixture(scope="module")
def runs():
    return list_runs(REPO_RESULTS_DIR)


def test_every_run_has_provenance_and_no_checkpoints(runs):
    assert runs
    for run in runs:
        assert all(run.provenance.get(key) for key in PROVENANCE), run.name
        assert run.provenance["command"].startswith("python -m inception_course.experiments.record")
        assert run.provenance["device"] in run.label and run.provenance["data"] in run.label
        assert not (run.path / "checkpoints").exists()


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_both_networks_of_each_pair_have_aligned_complete_curves(runs, pair):
    recorded = [r for r in runs if pair_of(r) == pair]
    assert sorted(r.setting("model") for r in recorded) == sorted(PAIRS[pair])
    epochs = recorded[0].setting("epochs")
    for run in recorded:
        assert run.setting("epochs") == epochs
        for metric in ("top1", "top5", "loss"):
            xs, ys = run.curve(metric, "epoch")
            assert xs == list(range(1, epochs + 1)) and all(math.isfinite(y) for y in ys)


def test_the_scaling_runs_carry_their_verdicts(runs):
    arms = [load_scaling_run(r.path) for r in runs if (r.path / STATS_FILE).is_file()]
    assert {a.scale for a in arms} >= {1.0, 0.2}
    assert all(a.final_stats and isinstance(a.verdict.died, bool) for a in arms)
