"""How much sooner a network reaches an error: the comparison behind the paper's training curves, Figs. 21-24 (AAAI Figs. 8-9).

The paper's claim is that the residual network of each pair "trains faster": it reaches a given
validation error in fewer epochs. Three functions make that a number from two run histories:

* :func:`epochs_to_reach` - the first epoch (or second, with ``x="wall_time"``) at which a run's
  error is at or below a target, ``None`` if it never gets there;
* :func:`shared_target` - the error both networks of a (seed) pair reach: the worse of their two
  final errors, the fair target for a comparison (a target only one run reaches would make the
  other infinitely slow). The course's one definition: :func:`~.residual_vs_plain.summarize_pair`,
  lesson 8's table and its exercise all use it;
* :func:`speedup` - ``epochs_to_reach(plain) / epochs_to_reach(residual)`` at that target: above 1,
  the residual network got there sooner.
"""

from __future__ import annotations

from typing import Sequence

from .runs import Run


def first_at_or_below(xs: Sequence[float], ys: Sequence[float], target: float) -> float | None:
    """The first ``x`` whose ``y`` is at or below ``target`` (``None`` if none is)."""
    return next((at for at, value in zip(xs, ys) if value <= target), None)


def epochs_to_reach(run: Run, error: float, metric: str = "top1", x: str = "epoch") -> float | None:
    """The first ``x`` (epoch, or wall time) whose ``metric`` error is at or below ``error``."""
    return first_at_or_below(*run.curve(metric, x), error)


def shared_target(*curves: Sequence[float]) -> float:
    """The error every one of these error ``curves`` reaches: the worst of their final errors.

    Each run ends at its final error, so each reaches it; the best error of a curve that dips and
    rises again would be a target the run only touched once, and "the largest of the minima" would
    give another number than the lesson's table.
    """
    if not curves or not all(curves):
        raise ValueError("every run needs at least one validation record of the metric")
    return max(curve[-1] for curve in curves)


def speedup(plain: Run, residual: Run, metric: str = "top1", x: str = "epoch", error: float | None = None) -> float:
    """How many times sooner ``residual`` reaches ``error`` (default: :func:`shared_target` of both)."""
    target = shared_target(plain.curve(metric)[1], residual.curve(metric)[1]) if error is None else error
    slow, fast = epochs_to_reach(plain, target, metric, x), epochs_to_reach(residual, target, metric, x)
    if slow is None or fast is None:
        raise ValueError(f"both runs must reach the error {target}; use shared_target() for an error both reach")
    return slow / fast
