"""The runs shipped in data/results/: complete, aligned, several seeds, carrying their provenance,
and the README's tables are the ones the record command writes from them."""

import math

import pytest

from inception_course.experiments import PAIRS, group_runs, list_runs, load_scaling_run, pair_of
from inception_course.experiments.record import README_END, README_START, REPO_README, summary_lines
from inception_course.experiments.runs import REPO_RESULTS_DIR
from inception_course.experiments.scaling import DEFAULT_LR, STATS_FILE

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
def test_both_networks_of_each_pair_have_three_seeds_of_aligned_complete_curves(runs, pair):
    recorded = [r for r in runs if pair_of(r) == pair]
    groups = group_runs(recorded)
    assert sorted(g.setting("model") for g in groups) == sorted(PAIRS[pair])
    assert all(len(g.runs) >= 3 for g in groups) and groups[0].seeds == groups[1].seeds
    epochs = recorded[0].setting("epochs")
    for run in recorded:
        assert run.setting("epochs") == epochs
        for metric in ("top1", "top5", "loss"):
            xs, ys = run.curve(metric, "epoch")
            assert xs == list(range(1, epochs + 1)) and all(math.isfinite(y) for y in ys)


def test_the_scaling_runs_cover_two_widths_two_scales_three_seeds_at_the_default_rate(runs):
    arms = [load_scaling_run(r.path) for r in runs if (r.path / STATS_FILE).is_file()]
    cells = {}
    for arm in arms:
        cells.setdefault((arm.run.setting("width"), arm.run.setting("lr"), arm.scale), []).append(arm.run.setting("seed"))
    main = {key: seeds for key, seeds in cells.items() if key[1] == DEFAULT_LR}
    assert len(main) == 4 and all(sorted(seeds) == [0, 1, 2] for seeds in main.values())
    assert all(arm.run.setting("data") == "fashion_mnist" for arm in arms)
    assert all(a.final_stats and isinstance(a.verdict.died, bool) for a in arms)


def test_the_readme_tables_are_the_ones_the_record_command_writes():
    text = REPO_README.read_text()
    block = text.split(README_START, 1)[1].split(README_END, 1)[0]
    assert block.strip() == "\n".join(summary_lines(REPO_RESULTS_DIR)).strip()
    index = (REPO_RESULTS_DIR / "README.md").read_text()
    assert all(line in index for line in summary_lines(REPO_RESULTS_DIR) if line.startswith("|"))
