"""How much sooner a network reaches an error: the comparison behind the paper's training curves, Figs. 21-24 (AAAI Figs. 8-9).

The paper's claim is that the residual network of each pair "trains faster": it reaches a given
validation error in fewer epochs. Three functions make that a number from two run histories:

* :func:`epochs_to_reach` - the first epoch (or second, with ``x="wall_time"``) at which a run's
  error is at or below a target, ``None`` if it never gets there;
* :func:`reachable_error` - the lowest error that every run of a group reaches, the fair target
  for a comparison (a target only one run reaches would make the other infinitely slow);
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


def reachable_error(runs: Sequence[Run], metric: str = "top1") -> float:
    """The lowest ``metric`` error that every run in ``runs`` reaches (the largest of their minima)."""
    minima = [min(run.curve(metric)[1]) for run in runs if run.curve(metric)[1]]
    if len(minima) != len(runs) or not minima:
        raise ValueError(f"every run needs at least one validation record with {metric!r}")
    return max(minima)


def speedup(plain: Run, residual: Run, metric: str = "top1", x: str = "epoch", error: float | None = None) -> float:
    """How many times sooner ``residual`` reaches ``error`` (default: :func:`reachable_error` of both)."""
    target = reachable_error([plain, residual], metric) if error is None else error
    slow, fast = epochs_to_reach(plain, target, metric, x), epochs_to_reach(residual, target, metric, x)
    if slow is None or fast is None:
        raise ValueError(f"both runs must reach the error {target}; use reachable_error() for a shared target")
    return slow / fast
