"""Lesson 8's checkers (residual versus plain), in the lesson's order: turn two training curves into
the paper's comparison, with the definitions of :mod:`inception_course.experiments.speed` that the
lesson's own table uses.

* ``check_first_epoch_below``: ``first_epoch_below(run, error, metric)``, the first epoch at or
  below an error (``None`` if never);
* ``check_shared_target``: ``shared_target(plain, residual, metric)``, the error both runs of a seed
  pair reach: the worse of their two final errors, as
  :func:`~inception_course.experiments.summarize_pair` takes it;
* ``check_speed_up``: ``speed_up(plain, residual, metric)``, the plain network's epochs over the
  residual one's at that shared target.

Each is compared on the recorded pairs in ``data/results/`` (when present) and on made-up runs that
catch the usual slips: a strict ``<``, the best epoch instead of the first, a curve that dips and
rises again, the best error instead of the final one, and the ratio upside down. The made-up pairs
run 1 to 6 epochs, with ties (the target reached again and again, two equal final errors); two
more are drawn for each call, one of them on a coarse grid so that ties are common. The runs must
come back unchanged: a function that edits a run's history in place fails.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch

from ..experiments.residual_vs_plain import PAIRS, pair_of, summarize_pair
from ..experiments.runs import Run, list_runs
from ..experiments.speed import epochs_to_reach
from ..training.history import History
from .checking.authorship import refuse_library
from .checking.compare import as_number, run
from .checking.result import Report, checker
from .checking.inputs import Untouched


def _runs_untouched(*runs: Run) -> Untouched:
    """Remembers the runs' records and settings, which the student's function only reads."""
    return Untouched(**{f"run {run.setting('model')!r}": (run.history.records, run.config) for run in runs})


def _call(student_fn: Any, runs: tuple[Run, ...], *args: Any) -> tuple[Any, str | None]:
    """``student_fn(*runs, *args)``; an error, or a run changed in place, comes back as the error."""
    untouched = _runs_untouched(*runs)
    answer, problem = run(student_fn, *runs, *args)
    if problem is None and untouched.changed():
        problem = (f"changed {', '.join(untouched.changed())} (its history or settings) in place: read run.curve(metric),"
                   " which gives new lists, and leave the run as it came")
    return answer, problem

METRICS = ("top1", "top5")
MADE_UP_PAIR = "v3_vs_ir_v1"  # made-up runs carry a real pair's names, so that summarize_pair reads them


def made_up_run(name: str, top1: list[float], top5: list[float] | None = None, model: str | None = None) -> Run:
    """A run in memory with one validation record per epoch (``model`` defaults to ``name``)."""
    top5 = top5 if top5 is not None else [e * 0.5 for e in top1]
    records = [
        {"kind": "val", "epoch": epoch, "wall_time": 10.0 * epoch, "val_top1_err": a, "val_top5_err": b}
        for epoch, (a, b) in enumerate(zip(top1, top5), 1)
    ]
    return Run(Path(f"/made-up/{name}"), {"config": {"model": model or name}}, History(records))


def made_up_pair(plain_top1: list[float], residual_top1: list[float], top5: tuple[list[float], list[float]] | None = None,
                 tag: str = "") -> tuple[Run, Run]:
    """(plain, residual) made-up runs named as :data:`MADE_UP_PAIR`'s two networks."""
    runs = []
    for index, (model, top1) in enumerate(zip(PAIRS[MADE_UP_PAIR], (plain_top1, residual_top1))):
        runs.append(made_up_run(f"{MADE_UP_PAIR}-{model}{tag}", top1, top5[index] if top5 else None, model=model))
    return runs[0], runs[1]


def _drawn_pair(seed: int, grain: float = 1e-4) -> tuple[Run, Run]:
    """A made-up pair with 1-12 epochs of curves (the same number for both runs) that fall with noise,
    so they dip and rise, with values rounded to ``grain`` (0.05: ties are common), drawn afresh
    for each checker call: answers typed in for the listed pairs do not pass."""
    generator = torch.Generator().manual_seed(seed)
    epochs = int(torch.randint(1, 13, (1,), generator=generator))
    curves = []
    for _ in range(4):
        steps = torch.rand(epochs, generator=generator) * 0.12 - 0.04  # mostly down, sometimes up
        curve = (0.95 - steps.cumsum(0)).clamp(0.05, 0.99)
        curves.append([round(round(float(v) / grain) * grain, 4) for v in curve])
    return made_up_pair(curves[0], curves[1], (curves[2], curves[3]), tag=f"-drawn{seed}")


def _pairs() -> list[tuple[str, Run, Run]]:
    """(label, plain, residual): made-up pairs, one drawn for this call, then the recorded ones
    seed by seed (plain seed s with residual seed s, as the lesson's table pairs them)."""
    seed = int.from_bytes(os.urandom(4), "little")
    pairs = [
        ("made-up pair, residual faster",
         *made_up_pair([0.9, 0.8, 0.7, 0.6, 0.55, 0.5], [0.85, 0.6, 0.5, 0.45, 0.5, 0.48])),
        ("made-up pair, plain ends lower",
         *made_up_pair([0.95, 0.7, 0.6, 0.4, 0.3], [0.9, 0.6, 0.45, 0.5, 0.47],
                       ([0.6, 0.5, 0.4, 0.3, 0.25], [0.5, 0.3, 0.35, 0.3, 0.28]))),
        ("made-up pair, curves that dip and rise",
         *made_up_pair([0.8, 0.5, 0.7, 0.6, 0.45, 0.5], [0.6, 0.55, 0.45, 0.6, 0.5, 0.5])),
        ("made-up pair, best errors and final errors disagree",
         *made_up_pair([0.9, 0.4, 0.6, 0.7], [0.8, 0.5, 0.55, 0.45])),
        ("made-up pair, one epoch each", *made_up_pair([0.7], [0.6])),
        ("made-up pair, two epochs", *made_up_pair([0.8, 0.6], [0.6, 0.65], ([0.5, 0.4], [0.4, 0.45]))),
        ("made-up pair, three epochs, the target reached again and again",
         *made_up_pair([0.8, 0.6, 0.6], [0.6, 0.6, 0.6], ([0.5, 0.4, 0.45], [0.45, 0.4, 0.45]))),
        ("made-up pair, four epochs, ties with the target before the end",
         *made_up_pair([0.9, 0.5, 0.7, 0.5], [0.5, 0.8, 0.6, 0.45])),
        (f"made-up pair drawn with seed {seed}", *_drawn_pair(seed)),
        (f"made-up pair with ties, drawn with seed {seed + 1}", *_drawn_pair(seed + 1, grain=0.05)),
    ]
    try:
        recorded = [r for r in list_runs() if pair_of(r) is not None]
    except FileNotFoundError:  # an installed package without the repository's data/results/
        recorded = []
    for pair, (plain_name, residual_name) in PAIRS.items():
        by_seed: dict[Any, dict[str, Run]] = {}
        for r in recorded:
            if pair_of(r) == pair:
                by_seed.setdefault(r.seed, {})[r.setting("model")] = r
        for seed_, found in sorted(by_seed.items(), key=lambda item: (item[0] is None, item[0] or 0)):
            if plain_name in found and residual_name in found:
                pairs.append((f"recorded {pair}, seed {seed_}", found[plain_name], found[residual_name]))
    return pairs


def _raised(problem: str) -> str:
    return problem if problem.startswith("changed ") else f"raised {problem}"


def _number_or_none(value: Any) -> tuple[bool, float | None]:
    """``(True, float)`` for a number (numpy's included), ``(True, None)`` for ``None``, else ``(False, None)``."""
    if value is None:
        return True, None
    number = as_number(value)
    return number is not None, number


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


def _first_epoch_slip(run_: Run, error: float, metric: str, got: float | None) -> str:
    xs, ys = run_.curve(metric)
    strict = next((e for e, v in zip(xs, ys) if v < error), None)
    best = xs[ys.index(min(ys))] if ys else None
    if _same(got, strict):
        return "an epoch whose error equals the target counts too: use <=, not <"
    if _same(got, best):
        return "that is the epoch of the lowest error; the question is the FIRST epoch at or below the target"
    if _same(got, next((e for e, v in zip(xs, run_.curve('top1' if metric == 'top5' else 'top5')[1]) if v <= error), None)):
        return f"that is for the other metric: use run.curve({metric!r})"
    if got is not None and got == next((i for i, v in enumerate(ys) if v <= error), None):
        return "that is the index in the list; return the epoch itself (epochs start at 1)"
    return "go through run.curve(metric) in order and return the first epoch whose error is <= the target, else None"


@checker("Exercise: the first epoch at a target error")
def check_first_epoch_below(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(run, error, metric)`` -> the first epoch at or below ``error`` (``None`` if never)."""
    if not callable(student_fn):
        report.fail(f"expected a function first_epoch_below(run, error, metric), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[Run.curve], write_instead="read run.curve(metric) yourself"):
        return
    for label, plain, residual in _pairs():
        for run_ in (plain, residual):
            for metric in METRICS:
                ys = run_.curve(metric)[1]
                for error in sorted({ys[len(ys) // 2], min(ys), min(ys) - 0.01, ys[0]}, reverse=True):
                    expected = epochs_to_reach(run_, error, metric)
                    answer, problem = _call(student_fn, (run_,), error, metric)
                    case = f"{label}, {run_.setting('model')}, {metric} error <= {error:.4g}"
                    if problem is not None:
                        report.fail(f"{case}: first_epoch_below " + _raised(problem))
                        return
                    ok, value = _number_or_none(answer)
                    if not ok or not _same(value, expected):
                        report.fail(f"{case}: yours {answer!r}, expected {expected!r}: " + (
                            _first_epoch_slip(run_, error, metric, value) if ok else "return an epoch number or None"))
                        return
        report.ok(f"{label}: every target, both metrics")


def _target_slip(plain: Run, residual: Run, metric: str, got: float) -> str:
    curves = [r.curve(metric)[1] for r in (plain, residual)]
    finals, minima = [c[-1] for c in curves], [min(c) for c in curves]
    if _same(got, max(minima)):
        return ("that is the largest of the runs' best errors; a curve can dip and rise again, and the lesson's"
                " table takes each run's final error: use the worse (higher) of the two final errors")
    if _same(got, min(finals)):
        return "that is the better of the two final errors, which the other run may never reach: take the worse one"
    if _same(got, min(minima)):
        return "that is the lowest error of either run, which the other never reaches: take the worse final error"
    return "each run ends at its final error, so both reach the worse (higher) of the two final errors"


@checker("Exercise: an error both networks reach")
def check_shared_target(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(plain, residual, metric)`` -> the error both runs reach, the worse of their
    two final errors: compared with the ``target`` of
    :func:`~inception_course.experiments.summarize_pair` on the same two runs, so that a student's
    numbers are the lesson table's."""
    if not callable(student_fn):
        report.fail(f"expected a function shared_target(plain, residual, metric), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[Run.curve], write_instead="read run.curve(metric) yourself"):
        return
    for label, plain, residual in _pairs():
        for metric in METRICS:
            expected = summarize_pair([plain, residual], metric).target
            answer, problem = _call(student_fn, (plain, residual), metric)
            case = f"{label}, {metric}"
            if problem is not None:
                report.fail(f"{case}: shared_target " + _raised(problem))
                return
            ok, value = _number_or_none(answer)
            if not ok or value is None or not _same(value, expected):
                words = _target_slip(plain, residual, metric, value) if value is not None else "return a number"
                report.fail(f"{case}: yours {answer!r}, expected {expected:.4g}: {words}")
                return
        report.ok(f"{label}: top-1 and top-5")


@checker("Exercise: how much sooner?")
def check_speed_up(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(plain, residual, metric)`` -> epochs of the plain run / epochs of the residual
    run to reach the error both reach (above 1: the residual network was faster), compared with
    :func:`~inception_course.experiments.summarize_pair`'s epochs on the same two runs."""
    if not callable(student_fn):
        report.fail(f"expected a function speed_up(plain, residual, metric), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), allowed=[Run.curve], write_instead="use your own first_epoch_below and shared_target"):
        return
    for label, plain, residual in _pairs():
        for metric in METRICS:
            summary = summarize_pair([plain, residual], metric)
            expected = summary.plain_epochs / summary.residual_epochs
            answer, problem = _call(student_fn, (plain, residual), metric)
            case = f"{label}, {metric}"
            if problem is not None:
                report.fail(f"{case}: speed_up " + _raised(problem))
                return
            ok, value = _number_or_none(answer)
            if not ok or value is None or not _same(value, expected):
                words = ("upside down: divide the plain network's epochs by the residual network's" if value and _same(1 / value, expected)
                         else "first_epoch_below(plain) / first_epoch_below(residual), both at shared_target(plain, residual)")
                report.fail(f"{case}: yours {answer!r}, expected {expected:.4g}: {words}")
                return
        report.ok(f"{label}: top-1 and top-5")
