"""bf16 or float32: the choice evaluate() and predict() make, the line that says so, and precision_trade()."""

from __future__ import annotations

import pytest
import torch
from evaluation_helpers import NUM_CLASSES, LabelledByBrightness, tiny_cnn
from torch import nn
from torch.utils.data import TensorDataset

from inception_course import cpu
from inception_course.evaluation import evaluate, inference_dtype, precision_trade, predict


@pytest.fixture
def native(monkeypatch):
    """This CPU, as the test says: ``native(True)`` has avx512_bf16 / AMX, ``native(False)`` has not."""

    def set_to(value: bool) -> None:
        monkeypatch.setattr(cpu, "has_native_bf16", lambda: value)

    return set_to


@pytest.mark.parametrize("has_it", [True, False])
def test_by_default_bf16_only_on_a_cpu_with_native_bf16(native, has_it):
    native(has_it)
    dtype, message = inference_dtype(None, "cpu")
    assert dtype == (torch.bfloat16 if has_it else torch.float32)
    assert (message is not None) == has_it
    if has_it:
        assert "natively" in message and "bf16=False" in message and "\n" not in message


def test_bf16_can_be_forced_either_way(native):
    native(True)
    assert inference_dtype(False, "cpu") == (torch.float32, None)
    native(False)
    dtype, message = inference_dtype(True, "cpu")
    assert dtype == torch.bfloat16 and "emulated and slower" in message
    assert inference_dtype(None, "cuda")[0] == torch.float32  # GPUs keep their autocast (amp)
    with pytest.raises(ValueError, match="True, False or None"):
        inference_dtype("yes", "cpu")


def data():
    return LabelledByBrightness([3, 1, 4])


@pytest.mark.parametrize("has_it", [True, False])
def test_evaluate_uses_bf16_where_native_and_says_so(native, capsys, has_it):
    native(has_it)
    result = evaluate(tiny_cnn(), data(), device="cpu")
    printed = capsys.readouterr().out
    assert result.provenance["dtype"] == ("bfloat16" if has_it else "float32")
    assert ("evaluate: computing in bfloat16" in printed) == has_it
    native(True)
    forced_off = evaluate(tiny_cnn(), data(), device="cpu", bf16=False)
    assert forced_off.provenance["dtype"] == "float32" and "bfloat16" not in capsys.readouterr().out


def test_evaluate_refuses_bf16_without_the_fused_copy_or_with_autocast(native):
    native(True)
    with pytest.raises(ValueError, match="leave fuse=True"):
        evaluate(tiny_cnn(), data(), device="cpu", bf16=True, fuse=False)
    with pytest.raises(ValueError, match="choose one"):
        evaluate(tiny_cnn(), data(), device="cpu", bf16=True, amp=True)
    # Asked for autocast, or for the model itself: the automatic choice stays at float32.
    assert evaluate(tiny_cnn(), data(), device="cpu", fuse=False).provenance["dtype"] == "float32"
    assert evaluate(tiny_cnn(), data(), device="cpu", amp=True).provenance["dtype"] == "float32"


@pytest.mark.parametrize("has_it", [True, False])
def test_predict_uses_bf16_where_native_and_says_so(native, capsys, has_it):
    native(has_it)
    image = torch.zeros(3, 40, 40, dtype=torch.uint8)
    names = [str(i) for i in range(NUM_CLASSES)]
    top = predict(tiny_cnn(), image, class_names=names)
    assert ("predict: computing in bfloat16" in capsys.readouterr().out) == has_it
    assert len(top) == 5
    native(True)
    predict(tiny_cnn(), image, class_names=names, bf16=False)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="leave fuse=True"):
        predict(tiny_cnn(), image, class_names=names, bf16=True, fuse=False)


class NearTie(nn.Module):
    """Class 1 beats class 0 by 0.003: float32 tells them apart, bf16 (steps of 1/128 near 1.0) cannot,
    so in bf16 the two tie and argmax takes the first, class 0."""

    def __init__(self) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.tensor([1.0, 1.003]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(x), 2) + 0 * x.mean(dim=(1, 2, 3))[:, None]


def images(n: int, label: int) -> TensorDataset:
    return TensorDataset(torch.zeros(n, 3, 8, 8), torch.full((n,), label))


def test_precision_trade_reports_agreement_accuracy_and_time(native):
    native(False)
    trade = precision_trade(tiny_cnn(), images(10, 0), limit=8, batch_size=3)
    assert trade.n_images == 8 and trade.agreement == 1.0  # a flat image: far from any tie
    assert 0 < trade.max_prob_diff < 0.01
    assert trade.top1_fp32 == trade.top1_bf16 in (0.0, 1.0)
    assert trade.fp32_seconds > 0 and trade.bf16_seconds > 0
    assert trade.speedup == pytest.approx(trade.fp32_seconds / trade.bf16_seconds)
    assert "emulated" in str(trade) and "100.00%" in str(trade)
    native(True)
    assert "emulated" not in str(precision_trade(tiny_cnn(), images(2, 0)))


def test_precision_trade_sees_a_changed_top1_class():
    trade = precision_trade(NearTie(), images(4, 1), limit=4)
    assert trade.agreement == 0.0  # every image's top-1 class changed
    assert (trade.top1_fp32, trade.top1_bf16) == (1.0, 0.0)
    assert trade.max_prob_diff == pytest.approx(0.00075, abs=2e-4)  # softmax of a 0.003 gap, gone in bf16


def test_precision_trade_cuts_uncropped_images_of_any_size():
    trade = precision_trade(tiny_cnn(), LabelledByBrightness([3, 1, 4, 1]), crop_size=32, batch_size=3)
    assert trade.n_images == 4 and 0 <= trade.agreement <= 1
    with pytest.raises(ValueError, match="at least 1"):
        precision_trade(tiny_cnn(), images(2, 0), limit=0)
