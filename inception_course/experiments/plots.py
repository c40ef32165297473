"""Plain matplotlib plots for the experiments; the widgets call these and nothing else draws.

Every function returns the ``Figure`` so notebooks without a widget front end (nbval, scripts) get
the same picture from a plain call.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .activations import FEATURES, BlockStats
from .gradients import BlockGradients
from .residual_vs_plain import PAIR_TITLES, PAIRS
from .runs import METRICS, X_AXES, Run, smooth
from .scaling import ZERO_THRESHOLD, ScalingRun

StatsByLabel = Mapping[str, Sequence[BlockStats]]


def plot_activation_statistics(stats: Sequence[BlockStats] | StatsByLabel, title: str | None = None) -> Figure:
    """Four panels along the network's depth: activation std/max, zero fraction, residual ratio,
    parameter-gradient norm. Pass ``{label: rows}`` to overlay several settings (e.g. scales)."""
    series = dict(stats) if isinstance(stats, Mapping) else {"": stats}
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), constrained_layout=True)
    (ax_act, ax_zero), (ax_ratio, ax_grad) = axes
    for label, rows in series.items():
        prefix = f"{label}: " if label else ""
        idx = [r.index for r in rows]
        line = ax_act.plot(idx, [r.std for r in rows], marker=".", label=f"{prefix}std")[0]
        ax_act.plot(idx, [r.max for r in rows], ls="--", color=line.get_color(), label=f"{prefix}max")
        ax_zero.plot(idx, [r.zero_fraction for r in rows], marker=".", label=label or None)
        residual = [r for r in rows if r.residual_ratio is not None]
        ax_ratio.plot([r.index for r in residual], [r.residual_ratio for r in residual], marker=".", label=label or None)
        with_grad = [r for r in rows if r.grad_norm is not None]
        ax_grad.plot([r.index for r in with_grad], [r.grad_norm for r in with_grad], marker=".", label=label or None)
    ax_act.set(title="block output std (solid) and max (dashed)", yscale="log")
    ax_zero.set(title="fraction of exactly-zero activations", ylim=(-0.02, 1.02))
    ax_ratio.set(title="residual / shortcut  ||scale*up(...)|| / ||x||", yscale="log")
    ax_grad.set(title="gradient norm of the block's parameters", yscale="log")
    first = next(iter(series.values()), [])
    if first and first[-1].block == FEATURES:
        for ax in axes.flat:
            ax.axvline(first[-1].index, color="grey", lw=0.5)
    for ax in axes.flat:
        ax.set_xlabel("block (forward order; last = features before avg pool)")
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def plot_runs(
    runs: Sequence[Run],
    metric: str = "top1",
    x: str = "epoch",
    smoothing: float = 0.0,
    ax=None,
    title: str | None = None,
) -> Figure:
    """One curve per run of ``metric`` (see ``runs.METRICS``) against ``x`` (``"epoch"``,
    ``"wall_time"`` or ``"step"``), each labelled with its model, data set and device."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)}")
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; choose one of {sorted(X_AXES)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    else:
        fig = ax.figure
    for run in runs:
        xs, ys = run.curve(metric, x)
        ax.plot(xs, smooth(ys, smoothing), marker="." if len(xs) < 30 else None, label=run.label)
    ax.set(xlabel=X_AXES[x], ylabel=METRICS[metric][1], title=title or "")
    if runs:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def plot_scaling_experiment(arms: Sequence[ScalingRun], title: str | None = None) -> Figure:
    """The residual-scaling experiment, one colour per scale: training loss, the exactly-zero
    fraction of the last feature map (the paper's "died" symptom, with the :func:`died` threshold),
    the global gradient norm during training, and per-block gradient norms after training."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), constrained_layout=True)
    (ax_loss, ax_zero), (ax_grad, ax_blocks) = axes
    for arm in arms:
        label = f"scale {arm.scale:g}: {arm.verdict}"
        color = ax_loss.plot(*arm.run.curve("train_loss", "step"), label=label)[0].get_color()
        ax_zero.plot(*arm.run.curve("zero_fraction", "step"), color=color)
        ax_grad.plot(*arm.run.curve("grad_norm", "step"), color=color)
        rows = [r for r in arm.final_stats if r.grad_norm is not None]
        ax_blocks.plot([r.index for r in rows], [r.grad_norm for r in rows], marker=".", color=color)
    ax_loss.set(title="training loss", xlabel="step")
    ax_zero.axhline(ZERO_THRESHOLD, color="grey", ls=":", lw=1)
    ax_zero.set(title="exactly-zero fraction before the average pool", xlabel="step", ylim=(-0.02, 1.02))
    ax_grad.set(title="global gradient norm (before clipping)", xlabel="step", yscale="log")
    ax_blocks.set(title="gradient norm per block after training", xlabel="block (forward order)", yscale="log")
    if arms:
        ax_zero.legend(*ax_loss.get_legend_handles_labels(), fontsize="x-small", loc="upper left")
        run = arms[0].run
        where = f"{run.setting('data')}, {run.setting('device')}"
        fig.suptitle(title or f"{run.setting('model')}, width {run.setting('width')}, lr {run.setting('lr')} ({where})")
    return fig


def plot_block_gradients(
    traces: Mapping[str, Mapping[str, Sequence[BlockGradients]]], steps: Sequence[int] | None = None, title: str | None = None
) -> Figure:
    """Gradient norm per block (log scale) against the block's position (stem first, head last),
    one panel per pair (``{pair: {model: trace}}`` from :func:`~.gradients.pair_gradient_norms`),
    plain network in red, residual in blue; step 0 (at initialisation) solid, later optimiser
    steps (``steps``, default all) dashed and paler."""
    fig, axes = plt.subplots(1, len(traces), figsize=(6.5 * len(traces), 4.2), constrained_layout=True, squeeze=False)
    for ax, (pair, by_model) in zip(axes[0], traces.items()):
        for model, trace in by_model.items():
            plain = pair in PAIRS and model == PAIRS[pair][0]
            color = "tab:red" if plain else "tab:blue"
            shown = [g for g in trace if steps is None or g.step in steps]
            last = max((g.step for g in shown), default=0)
            for g in shown:
                first = g.step == 0
                ax.plot(
                    range(len(g.norms)), g.norms, color=color, marker="." if first else None, lw=2 if first else 1,
                    ls="-" if first else "--", alpha=1.0 if first else 0.35 + 0.4 * g.step / max(last, 1),
                    label=f"{model} ({'plain' if plain else 'residual'}), at initialisation" if first
                    else f"... after 1-{last} steps" if g.step == last else None,
                )
        ax.set(yscale="log", xlabel="block (stem = 0, forward order, head last)", ylabel="gradient norm of the block's weights",
               title=PAIR_TITLES.get(pair, pair))
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize="x-small", loc="upper right")
    if title:
        fig.suptitle(title)
    return fig
