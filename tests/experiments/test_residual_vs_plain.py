"""The residual-vs-plain runner: identical settings, aligned and complete curves."""

import math

import pytest

from inception_course import create_model
from inception_course.experiments import PAIRS, pair_of, run_pair
from inception_course.experiments.residual_vs_plain import PER_MODEL, pair_configs

# Fast mode's presets give both v4-pair networks one block per stage.
TINY = {"width": 0.0625, "image_size": 75, "epochs": 2, "batch_size": 8, "data_kwargs": {"num_images": 8}}


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_both_networks_of_a_pair_get_identical_settings(pair, tmp_path):
    plain, residual = pair_configs(pair, tmp_path, width=0.5, epochs=3)
    assert (plain.model, residual.model) == PAIRS[pair]
    a, b = plain.to_dict(), residual.to_dict()
    assert {k for k in a if a[k] != b[k]} == set(PER_MODEL)
    assert plain.width == 0.5 and plain.epochs == 3 and plain.aux_weights == ()


def test_unknown_pair_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match="v3_vs_ir_v1"):
        pair_configs("v1_vs_v2", tmp_path)


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_both_networks_of_a_pair_are_shortened_alike(pair, tmp_path):
    configs = pair_configs(pair, tmp_path, depths=(2, 1, 1))
    assert [c.depths for c in configs] == [(2, 1, 1)] * 2
    for config in configs:
        model = create_model(config.model, num_classes=10, width=0.125, depths=config.depths)
        stages = [m for name, m in model.named_children() if name in ("inception_a", "blocks_a", "inception_c", "blocks_c")]
        assert [len(stage) for stage in stages] == [2, 1], config.model


def test_run_pair_records_aligned_complete_curves(tmp_path):
    runs = run_pair("v4_vs_ir_v2", tmp_path, **TINY)
    assert [r.setting("model") for r in runs] == list(PAIRS["v4_vs_ir_v2"])
    assert {pair_of(r) for r in runs} == {"v4_vs_ir_v2"}
    assert [r.name for r in runs] == ["v4_vs_ir_v2-inception_v4", "v4_vs_ir_v2-inception_resnet_v2"]
    for run in runs:
        for metric in ("top1", "top5", "loss"):
            epochs, values = run.curve(metric, "epoch")
            assert epochs == [1, 2], "one point per epoch, none missing"
            assert all(math.isfinite(v) for v in values)
        seconds, _ = run.curve("top1", "wall_time")
        assert len(seconds) == 2 and 0 < seconds[0] < seconds[1]
        assert not (run.path / "checkpoints").exists()
    with pytest.raises(FileExistsError, match="another out_dir"):
        run_pair("v4_vs_ir_v2", tmp_path, **TINY)
