"""Every numeric setting is checked against its real domain when it is parsed; zero is never "unset"."""

import pytest

from inception_course.training import TrainConfig, Trainer
from inception_course.training.cli import main
from training_tiny import TinyNet, tiny_settings


@pytest.mark.parametrize("flag, value, words", [
    ("--lr", "0", "lr must be positive"),
    ("--lr", "-0.1", "lr must be positive"),
    ("--lr", "nan", "lr must be positive"),
    ("--base-lr", "0", "base_lr must be positive"),
    ("--clip-grad-norm", "0", "clip_grad_norm must be positive"),
    ("--lr-decay", "-1", "lr_decay must be in (0, 1]"),
    ("--lr-decay", "0", "lr_decay must be in (0, 1]"),
    ("--weight-decay", "-1", "weight_decay must be 0 or more"),
    ("--reference-batch-size", "0", "reference_batch_size must be at least 1"),
    ("--lr-decay-epochs", "0", "lr_decay_epochs must be positive"),
    ("--warmup-epochs", "-1", "warmup_epochs must be 0 or more"),
    ("--momentum", "1", "momentum must be in [0, 1)"),
    ("--rmsprop-eps", "0", "rmsprop_eps must be positive"),
    ("--ema-decay", "1", "ema_decay must be in [0, 1)"),
    ("--dropout", "1", "dropout must be in [0, 1)"),
    ("--num-workers", "-1", "num_workers must be 0 or more"),
    ("--seed", "-1", "seed must be a whole number in [0, 2**32)"),
    ("--zero-fraction-warn", "0", "zero_fraction_warn must be in (0, 1]"),
    ("--width", "inf", "width must be positive"),
])
def test_a_number_outside_its_domain_is_one_line_and_exit_2(tmp_path, capsys, flag, value, words):
    status = main([flag, value, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"inception-train: error: {words}" in err and err.rstrip().endswith((f"got {value}", f"got {float(value)!r}"))
    assert not (tmp_path / "run").exists()


def test_an_aux_weight_below_zero_and_a_fractional_depth_are_refused():
    with pytest.raises(ValueError, match="aux_weights must be 0 or more"):
        TrainConfig.from_preset("googlenet", aux_weights=(0.3, -1.0))
    with pytest.raises(ValueError, match="depths must be whole numbers"):
        TrainConfig.from_preset("inception_v4", depths=(1, 1.5, 1))


def test_zero_is_a_value_not_unset(tmp_path):
    """num_images 0 is refused (it used to mean 640 images); ema_decay 0 averages (it used to mean off)."""
    with pytest.raises(ValueError, match="num_images must be positive"):
        Trainer(TrainConfig.from_preset(**tiny_settings(out=str(tmp_path / "a"), data_kwargs={"num_images": 0})),
                model=TinyNet(4))
    trainer = Trainer(TrainConfig.from_preset(**tiny_settings(out=str(tmp_path / "b"), ema_decay=0.0)), model=TinyNet(4))
    assert trainer.ema is not None
    trainer.close()
