"""The training lessons' figures: each draws the numbers it is given, or the library's own, and
``step_size`` measures the step an optimiser really takes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from inception_course.training import History, PaperLRFactor, RMSpropTF  # noqa: E402
from inception_course.training.optim import step_size  # noqa: E402
from inception_course.training.plots import (  # noqa: E402
    plot_history, plot_losses_against_margin, plot_lr_schedules, plot_step_sizes, plot_weight_average,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_step_size_is_the_distance_of_the_last_step():
    sgd = lambda params: torch.optim.SGD(params, lr=0.5)  # noqa: E731
    assert step_size(sgd, 3.0) == pytest.approx(1.5) and step_size(sgd, 3.0, steps=4) == pytest.approx(1.5)
    tf = lambda params: RMSpropTF(params, lr=1.0, decay=0.9, eps=1.0, momentum=0.0)  # noqa: E731
    assert step_size(tf, 2.0) == pytest.approx(2.0 / np.sqrt(0.9 + 0.1 * 4 + 1.0))
    assert step_size(tf, 2.0, steps=2) != pytest.approx(step_size(tf, 2.0))  # the mean square moved on


def test_plot_step_sizes_draws_each_optimiser_and_plain_sgd():
    sgd = lambda params: torch.optim.SGD(params, lr=1.0)  # noqa: E731
    fig = plot_step_sizes({"SGD": sgd}, gradients=[0.1, 1.0, 10.0], steps=(1, 3))
    assert len(fig.axes) == 2
    for ax in fig.axes:
        measured, reference = ax.lines
        assert measured.get_label() == "SGD" and np.allclose(measured.get_ydata(), [0.1, 1.0, 10.0])
        assert np.allclose(reference.get_ydata(), reference.get_xdata())


def test_plot_lr_schedules_shows_the_staircase():
    paper = PaperLRFactor(100, decay=0.94, decay_epochs=2.0)
    fig = plot_lr_schedules({"paper": lambda step: 0.045 * paper(step)}, steps_per_epoch=100, epochs=4)
    (line,) = fig.axes[0].lines
    epochs, rates = line.get_xdata(), line.get_ydata()
    assert np.allclose(rates[epochs < 2], 0.045) and np.allclose(rates[epochs >= 2], 0.045 * 0.94)
    assert epochs[0] == 0 and epochs[-1] < 4


def test_plot_weight_average_and_losses_draw_their_inputs():
    fig = plot_weight_average([0.0, 1.0, 0.5], [0.0, 0.9, 0.8], decay=0.99)
    assert [list(line.get_ydata()) for line in fig.axes[0].lines] == [[0.0, 1.0, 0.5], [0.0, 0.9, 0.8]]
    assert "0.99" in fig.axes[0].lines[1].get_label()
    fig = plot_losses_against_margin([0, 1, 2], {"one-hot": [1.0, 0.5, 0.2], "smoothed": [1.0, 0.6, 0.7]}, optimum=1.3)
    curves, marker = fig.axes[0].lines[:2], fig.axes[0].lines[2]
    assert [line.get_label() for line in curves] == ["one-hot", "smoothed"] and list(marker.get_xdata()) == [1.3, 1.3]


def test_plot_history_draws_loss_rate_and_the_errors_the_run_kept():
    records = [{"kind": "train", "step": s, "train_loss": 2.0 / s, "lr": 0.01 * s} for s in (1, 2, 3)]
    records += [{"kind": "val", "epoch": e, "val_top1_err": 0.9 - e / 10, "val_top5_err": 0.5} for e in (1, 2)]
    loss, rate, errors = plot_history(History(records)).axes
    assert list(loss.lines[0].get_ydata()) == [2.0, 1.0, 2.0 / 3] and list(rate.lines[0].get_xdata()) == [1, 2, 3]
    assert [line.get_label() for line in errors.lines] == ["top-1", "top-5"]  # no average kept: no third curve
    records[-1]["ema_val_top1_err"] = records[-2]["ema_val_top1_err"] = 0.7
    assert len(plot_history(History(records)).axes[2].lines) == 3
