"""Runs that go wrong: a NaN loss, CUDA out of memory, a dying last layer."""

import pytest
import torch
from torch import nn

from inception_course.training import (
    NonFiniteLossError, TrainConfig, Trainer, TrainingOutOfMemoryError, ZeroActivationMonitor, latest_checkpoint,
)
from inception_course.training.checkpoint import non_finite_parts
from inception_course.training.cli import main
from training_tiny import TinyNet, tiny_settings


class BreaksAtCall(TinyNet):
    """Returns NaN logits from its ``bad_call``-th training forward pass on."""

    def __init__(self, bad_call: int) -> None:
        super().__init__(num_classes=4)
        self.bad_call, self.calls = bad_call, 0

    def forward(self, x):
        logits = super().forward(x)
        if self.training:
            self.calls += 1
            if self.calls >= self.bad_call:
                return logits * float("nan")
        return logits


def test_nan_loss_stops_naming_the_step_and_keeps_last_good_checkpoint(tmp_path):
    # no logging until step 100: the NaN at step 5 must be caught by the check before the step-6 checkpoint
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path), **tiny_settings(log_every=100, checkpoint_every=2))
    trainer = Trainer(config, model=BreaksAtCall(bad_call=5))
    with pytest.raises(NonFiniteLossError, match=r"at step 5 \(epoch 1\).*last good checkpoint is .*step_00000002\.pt"):
        trainer.fit()
    # step 4's weights gave the NaN (a resumed run meets the same batch next): set aside, not resumed
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step_00000002.pt", "step_00000004.pt.nonfinite"]
    path, state = latest_checkpoint(tmp_path / "checkpoints")
    assert path.name == "step_00000002.pt"
    assert all(torch.isfinite(t).all() for t in state["model"].values())


def test_cuda_out_of_memory_suggests_smaller_batch_or_accumulation(tmp_path, monkeypatch, capsys):
    def out_of_memory(self, micro_batches):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Trainer, "train_step", out_of_memory)
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path / "a"), **tiny_settings())
    with pytest.raises(TrainingOutOfMemoryError, match="--batch-size 2 --accum-steps 2") as info:
        Trainer(config, model=TinyNet(4)).fit()
    assert isinstance(info.value.__cause__, torch.cuda.OutOfMemoryError)
    # the CLI turns it into a message and exit status 1
    flags = ["--model", "inception_v2", "--width", "0.25", "--image-size", "75", "--batch-size", "4", "--num-workers", "0",
             "--data-kwargs", '{"num_images": 8}', "--out", str(tmp_path / "b"), "--precision", "fp32"]
    assert main(flags) == 1
    err = capsys.readouterr().err
    assert "ran out of memory" in err and "--accum-steps 2" in err


def test_zero_activation_monitor_warns_above_threshold():
    model = TinyNet(4)
    monitor = ZeroActivationMonitor(model, threshold=0.9)
    model.train()
    model(torch.randn(2, 3, 32, 32))
    assert monitor.read(step=1) is None  # measures only when armed
    monitor.arm()
    model(torch.randn(2, 3, 32, 32))
    assert 0.0 < monitor.read(step=2) < 0.9
    with torch.no_grad():
        model.features[2].weight.zero_()
        model.features[2].bias.fill_(-1.0)  # ReLU of a negative constant: all zeros
    monitor.arm()
    model(torch.randn(2, 3, 32, 32))
    with pytest.warns(RuntimeWarning, match=r"step 7: 100.0% of the activations .* exactly zero"):
        assert monitor.read(step=7) == 1.0
    monitor.remove()
    with pytest.raises(ValueError, match="global_pool"):
        ZeroActivationMonitor(nn.Linear(2, 2))


def test_history_records_have_the_documented_fields(tmp_path):
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path), **tiny_settings(log_every=3))
    history = Trainer(config, model=TinyNet(4)).fit()
    train_fields = {"kind", "step", "epoch", "wall_time", "train_loss", "lr", "images_per_s", "skipped_steps",
                    "zero_fraction", "grad_norm"}
    val_fields = {"kind", "step", "epoch", "wall_time", "val_loss", "val_top1_err", "val_top5_err",
                  "ema_val_loss", "ema_val_top1_err", "ema_val_top5_err"}
    assert [set(r) for r in history.train] == [train_fields, train_fields]
    assert [r["step"] for r in history.train] == [3, 6]
    assert set(history.val[0]) == val_fields and history.val[0]["epoch"] == 1
    assert all(0.0 <= r["zero_fraction"] <= 1.0 and r["skipped_steps"] == 0 for r in history.train)


class _InfiniteGradient(torch.autograd.Function):
    """Identity forward; an infinite gradient backward (an fp16 overflow, without a non-finite loss)."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("inf")


class OverflowsAtCall(TinyNet):
    def __init__(self, bad_call: int) -> None:
        super().__init__(num_classes=4)
        self.bad_call, self.calls = bad_call, 0

    def forward(self, x):
        x = self.features(x)
        if self.training:
            self.calls += 1
            if self.calls == self.bad_call:
                x = _InfiniteGradient.apply(x)
        return self.fc(torch.flatten(self.global_pool(x), 1))


def test_fp16_overflow_is_skipped_by_the_scaler_and_counted(tmp_path):
    config = TrainConfig.from_preset(
        "inception_v4", "synthetic", out=str(tmp_path), **tiny_settings(precision="fp16", log_every=6, ema_decay=None)
    )
    trainer = Trainer(config, model=OverflowsAtCall(bad_call=4))
    history = trainer.fit()
    assert history.train[-1]["skipped_steps"] == 1  # unscale -> clip -> step: the scaler saw the inf and skipped
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    assert "ema_val_loss" not in history.val[0]


def test_weights_blown_up_by_an_update_are_never_checkpointed(tmp_path):
    """The 4th update leaves an infinite weight while every loss so far was finite: the step-4
    checkpoint is refused, the message names step 2's, which holds only finite values."""
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path), **tiny_settings(log_every=100, checkpoint_every=2))
    trainer = Trainer(config, model=TinyNet(4))

    def blows_up(optimizer, args, kwargs):
        if trainer.step == 3:  # the 4th update (trainer.step counts the ones done before it)
            trainer.model.fc.weight.data[0, 0] = float("inf")

    trainer.optimizer.register_step_post_hook(blows_up)
    with pytest.raises(NonFiniteLossError, match=r"the model and ema state became NaN or infinite at step 4 .*"
                       r"last good checkpoint is .*step_00000002\.pt\. Resume from it with a lower learning rate"):
        trainer.fit()
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step_00000002.pt"]
    assert non_finite_parts(latest_checkpoint(tmp_path / "checkpoints")[1]) == []


def test_a_non_finite_checkpoint_on_disk_is_passed_over_by_resume(tmp_path):
    """Checkpoints written before this check existed may hold NaN weights: resume skips them."""
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path), **tiny_settings(checkpoint_every=2))
    Trainer(config, model=TinyNet(4)).fit()
    newest = sorted((tmp_path / "checkpoints").iterdir())[-1]
    state = torch.load(newest, weights_only=True)
    state["optimizer"]["state"][0]["ms"].fill_(float("nan"))  # RMSProp's mean square
    torch.save(state, newest)
    with pytest.warns(UserWarning, match=f"skipping checkpoint {newest}: its optimizer state holds NaN"):
        path, _ = latest_checkpoint(tmp_path / "checkpoints")
    assert path.name == "step_00000004.pt"


@pytest.mark.parametrize("capability, expected", [((7, 5), "fp16"), ((8, 0), "bf16"), ((9, 0), "bf16")])
def test_auto_precision_is_fp16_below_compute_capability_8(monkeypatch, capability, expected):
    """A T4 (7.5, Colab's GPU) emulates bf16, which is_bf16_supported() counts: auto must take fp16."""
    from inception_course.training.trainer import resolve_precision

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert resolve_precision("auto", torch.device("cuda", 0)) == expected
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
