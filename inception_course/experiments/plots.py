"""Plain matplotlib plots for the experiments; the widgets call these and nothing else draws.

Every function returns the ``Figure`` so notebooks without a widget front end (nbval, scripts) get
the same picture from a plain call.
"""

from __future__ import annotations

import statistics
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .activations import FEATURES, BlockStats
from .gradients import BlockGradients
from .residual_vs_plain import PAIR_TITLES, PAIRS
from .runs import METRICS, X_AXES, Run, RunGroup, group_key, group_runs, smooth
from .scaling import LEARNED_MARGIN, ZERO_THRESHOLD, ScalingRun, chance_error

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
    band: bool = True,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """``metric`` (see ``runs.METRICS``) against ``x`` (``"epoch"``, ``"wall_time"`` or
    ``"step"``), each curve labelled with its model, data set, device and seed.

    With ``band`` (the default), runs that differ only in their seed (:func:`~.runs.group_runs`)
    are drawn as one curve, the median across seeds, over a shaded band from the lowest to the
    highest seed; against wall time the median's x is the median time. ``colors`` maps a group's
    :attr:`~.runs.RunGroup.id` (with ``band=False``: a run's path as a string) to a colour, so that
    a widget can keep every curve's colour when others are hidden. On a figure of its own the
    legend goes below the axes; drawn into ``ax``, it takes matplotlib's best place inside.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {sorted(METRICS)}")
    if x not in X_AXES:
        raise ValueError(f"unknown x axis {x!r}; choose one of {sorted(X_AXES)}")
    groups = group_runs(runs) if band else [RunGroup([run]) for run in runs]
    own_figure = ax is None
    if own_figure:
        fig, ax = plt.subplots(figsize=(8, 4.5 + 0.2 * len(groups)), constrained_layout=True)
    else:
        fig = ax.figure
    for group in groups:
        key = group.id if band else str(group.runs[0].path)
        color = (colors or {}).get(key)
        if len(group.runs) == 1:
            xs, ys = group.runs[0].curve(metric, x)
            ax.plot(xs, smooth(ys, smoothing), marker="." if len(xs) < 30 else None, label=group.label, color=color)
            continue
        xs, median, low, high = group.band(metric, x)
        line = ax.plot(xs, smooth(median, smoothing), label=group.label + " (band: min-max)", color=color,
                       marker="." if len(xs) == 1 else None)[0]  # a single point draws no line
        ax.fill_between(xs, smooth(low, smoothing), smooth(high, smoothing), color=line.get_color(), alpha=0.2, lw=0)
    ax.set(xlabel=X_AXES[x], ylabel=METRICS[metric][1], title=title or "")
    if runs and own_figure:  # below the axes: the legend covers no curve however many runs there are
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)
    elif runs:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def _scaling_groups(arms: Sequence[ScalingRun]) -> list[list[ScalingRun]]:
    """Arms that differ only in their seed, in first-seen order."""
    by_key: dict[str, list[ScalingRun]] = {}
    for arm in arms:
        by_key.setdefault(group_key(arm.run), []).append(arm)
    return list(by_key.values())


def _scaling_label(group: Sequence[ScalingRun], varying: set[str]) -> str:
    arm = group[0]
    parts = [f"scale {arm.scale:g}"] + [f"{key} {arm.run.setting(key):g}" for key in ("width", "lr") if key in varying]
    if len(group) == 1:
        return f"{', '.join(parts)}: {arm.verdict}"
    dead = sum(a.verdict.died for a in group)
    return f"{', '.join(parts)}: {dead}/{len(group)} seeds died (median, band: min-max)"


def plot_scaling_experiment(arms: Sequence[ScalingRun], title: str | None = None) -> Figure:
    """The residual-scaling experiment, one colour per arm: training loss, the exactly-zero
    fraction of the last feature map (the paper's symptom, with the :func:`died` threshold), the
    validation top-1 error after each epoch (with chance and the "learned" line: a run died only if
    its last layer went silent *and* its error stayed above that line), and per-block gradient
    norms after training.

    Arms that differ only in their seed are drawn as their median with a min-max band, and their
    legend entry counts the seeds that died. The legend (with each arm's verdict) sits below the
    panels, where it covers no curve and no threshold line.
    """
    groups = _scaling_groups(arms)
    varying = {key for key in ("width", "lr") if len({g[0].run.setting(key) for g in groups}) > 1}
    fig = plt.figure(figsize=(11, 6.8 + 0.22 * (len(groups) + 1)), constrained_layout=True)
    grid = fig.add_gridspec(3, 2, height_ratios=[1, 1, 0.09 * (len(groups) + 1) + 0.04])
    ax_loss, ax_zero = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    ax_err, ax_blocks = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    ax_legend = fig.add_subplot(grid[2, :])
    ax_legend.axis("off")
    handles = []
    for group in groups:
        runs = RunGroup([arm.run for arm in group])
        color = None
        for ax, metric in ((ax_loss, "train_loss"), (ax_zero, "zero_fraction"), (ax_err, "top1")):
            xs, median, low, high = runs.band(metric, "step", common=False)
            line = ax.plot(xs, median, color=color, marker="." if len(xs) == 1 else None)[0]  # one point: no line
            color = line.get_color()
            if len(group) > 1:
                ax.fill_between(xs, low, high, color=color, alpha=0.2, lw=0)
            if ax is ax_loss:
                line.set_label(_scaling_label(group, varying))
                handles.append(line)
        rows = [[r for r in arm.final_stats if r.grad_norm is not None] for arm in group]
        if rows[0]:
            idx = [r.index for r in rows[0]]
            norms = [statistics.median(rs[i].grad_norm for rs in rows if i < len(rs)) for i in range(len(idx))]
            ax_blocks.plot(idx, norms, marker=".", color=color)
    ax_loss.set(title="training loss", xlabel="step")
    threshold = ax_zero.axhline(ZERO_THRESHOLD, color="grey", ls=":", lw=1, label=f"'died' threshold ({ZERO_THRESHOLD:.0%} zeros)")
    ax_zero.set(title="exactly-zero fraction before the average pool", xlabel="step", ylim=(-0.02, 1.02))
    ax_err.set(title="validation top-1 error (after each epoch)", xlabel="step", ylim=(0, 1.02))
    extra = []
    if groups:
        chance = chance_error(groups[0][0].run)
        extra.append(ax_err.axhline(chance, color="black", ls="--", lw=1, label=f"chance ({chance:.0%} error)"))
        extra.append(ax_err.axhline(
            chance - LEARNED_MARGIN, color="grey", ls="-.", lw=1, label=f"'learned' line ({LEARNED_MARGIN:.0%} below chance)"
        ))
    ax_blocks.set(title="gradient norm per block after training", xlabel="block (forward order)", yscale="log")
    if groups:
        ax_legend.legend(handles=[*handles, threshold, *extra], loc="center", fontsize="small", frameon=False, ncol=1)
        run = groups[0][0].run
        where = f"{run.setting('data')}, {run.setting('device')}"
        fixed = ", ".join(f"{key} {run.setting(key)}" for key in ("width", "lr") if key not in varying)
        seeds = sorted({len(g) for g in groups})
        count = f", {seeds[0]} seed{'s' * (seeds[0] > 1)} per arm" if len(seeds) == 1 else ""
        fig.suptitle(title or f"{run.setting('model')}{', ' + fixed if fixed else ''} ({where}{count})")
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


def plot_residual_ratio(scales: Sequence[float], ratios: Sequence[float], paper_range: tuple[float, float] = (0.1, 0.3)) -> Figure:
    """A residual block's ``||scale * residual|| / ||shortcut||`` against the residual scale, with
    the paper's recommended range of scales shaded (lesson 6: a straight line through the origin)."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(scales, ratios, marker="o")
    ax.axvspan(*paper_range, color="tab:green", alpha=0.15, label=f"the paper's {paper_range[0]}-{paper_range[1]}")
    ax.set(xlabel="residual scale", ylabel="||residual|| / ||shortcut||", title="first residual block")
    ax.legend()
    return fig
