"""The figures of the training lessons (2 and 7), one call each, so that a lesson shows the idea
and not thirty lines of matplotlib. Every function draws numbers it is given or computes them
with the library's own training code, and returns the ``Figure``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch.optim import Optimizer

from .history import History
from .optim import step_size

MakeOptimizer = Callable[[list], Optimizer]


def plot_step_sizes(
    optimizers: Mapping[str, MakeOptimizer], gradients: Sequence[float] | None = None, steps: Sequence[int] = (1, 100)
) -> Figure:
    """The step each optimiser takes against the size of the gradient (log-log), one panel per
    entry of ``steps`` (the first step, then once the mean square has forgotten its start),
    beside plain SGD's ``step = g``. ``optimizers`` maps a label to ``make([param]) -> Optimizer``
    with learning rate 1, as :func:`~.optim.step_size` takes it."""
    gradients = np.logspace(-3, 2, 26) if gradients is None else np.asarray(gradients)
    fig, axes = plt.subplots(1, len(steps), figsize=(5.5 * len(steps), 3.8), sharey=True, squeeze=False)
    for ax, count in zip(axes.flat, steps):
        for label, make in optimizers.items():
            ax.loglog(gradients, [step_size(make, g, count) for g in gradients], label=label)
        ax.loglog(gradients, gradients, "k:", lw=1, label="plain SGD (step = g)")
        ax.set(title=f"step size after {count} step(s)", xlabel="gradient g")
    axes.flat[0].set_ylabel("step (learning rate 1)")
    axes.flat[0].legend(fontsize="small")
    return fig


def plot_lr_schedules(schedules: Mapping[str, Callable[[int], float]], steps_per_epoch: int, epochs: int = 100) -> Figure:
    """Learning rate against epoch (log scale) for each ``label: rate_at(step)``, sampled every
    ``steps_per_epoch / 20`` steps so that a staircase shows its steps."""
    steps = np.arange(0, epochs * steps_per_epoch, max(1, steps_per_epoch // 20))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for (label, rate_at), style in zip(schedules.items(), ("-", "--", ":", "-.")):
        ax.plot(steps / steps_per_epoch, [rate_at(int(step)) for step in steps], style, label=label)
    ax.set(xlabel="epoch", ylabel="learning rate", yscale="log", title="the learning-rate schedule")
    ax.legend()
    return fig


def plot_weight_average(weights: Sequence[float], averaged: Sequence[float], decay: float) -> Figure:
    """A weight step by step and its running average (the paper evaluates the average)."""
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(weights, lw=0.8, label="weight")
    ax.plot(averaged, lw=2, label=f"running average (decay {decay})")
    ax.set(xlabel="step", ylabel="value")
    ax.legend()
    return fig


def plot_history(history: History, title: str = "") -> Figure:
    """Three panels of one run: training loss and learning rate by step, validation error by epoch
    (top-1, top-5, and top-1 of the averaged weights when the run kept an average)."""
    train, val = history.train, history.val
    fig, (ax_loss, ax_lr, ax_err) = plt.subplots(1, 3, figsize=(13, 3.3), constrained_layout=True)
    ax_loss.plot([r["step"] for r in train], [r["train_loss"] for r in train])
    ax_loss.set(title="training loss", xlabel="step")
    ax_lr.plot([r["step"] for r in train], [r["lr"] for r in train])
    ax_lr.set(title="learning rate (warm-up, then the staircase)", xlabel="step")
    for key, label in [("val_top1_err", "top-1"), ("val_top5_err", "top-5"), ("ema_val_top1_err", "top-1, averaged weights")]:
        if val and all(key in r for r in val):
            ax_err.plot([r["epoch"] for r in val], [r[key] for r in val], marker="o", label=label)
    ax_err.set(title="validation error" + (f" ({title})" if title else ""), xlabel="epoch")
    ax_err.legend(fontsize="small")
    return fig


def plot_losses_against_margin(margins: Sequence[float], losses: Mapping[str, Sequence[float]], optimum: float | None = None) -> Figure:
    """Cross-entropy against the correct class's logit margin, one curve per target (lesson 2's
    label smoothing: a one-hot target keeps rewarding a larger margin, a smoothed one has a best,
    finite margin, marked by ``optimum``)."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for label, values in losses.items():
        ax.plot(margins, values, label=label)
    if optimum is not None:
        ax.axvline(optimum, color="gray", linestyle=":")
    ax.set(xlabel="logit margin of the correct class", ylabel="cross-entropy", title="Label smoothing")
    ax.legend()
    return fig
