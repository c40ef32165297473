"""Residual vs non-residual: train the paper's pairs with identical settings and compare curves.

The paper's Figs. 21-24 (AAAI Figs. 8 and 9, top-1 only) show validation error during
training for two pairs of networks of similar cost: Inception-v3 vs Inception-ResNet-v1 and
Inception-v4 vs Inception-ResNet-v2. The residual networks train "much faster". :func:`run_pair`
trains a pair through :class:`~inception_course.training.Trainer` with one set of settings for
both networks (checked, not assumed) so that the history files can be compared epoch by epoch and
second by second.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..config import is_fast
from ..data.fashion_mnist import find_folder
from ..training import Trainer, TrainConfig
from .runs import Run, group_runs, load_run
from .speed import first_at_or_below, shared_target

PAIRS: dict[str, tuple[str, str]] = {
    "v3_vs_ir_v1": ("inception_v3", "inception_resnet_v1"),  # training curves: Figs. 21-22 (AAAI Fig. 8)
    "v4_vs_ir_v2": ("inception_v4", "inception_resnet_v2"),  # training curves: Figs. 23-24 (AAAI Fig. 9)
}
"""Pair name -> (plain network, residual network of similar computational cost)."""

PAIR_TITLES = {
    "v3_vs_ir_v1": "Inception-v3 vs Inception-ResNet-v1 (paper Figs. 21-22)",
    "v4_vs_ir_v2": "Inception-v4 vs Inception-ResNet-v2 (paper Figs. 23-24)",
}

#: Settings that may differ between the two networks of a pair: which network, and where it goes.
PER_MODEL = ("model", "out")

#: A pair a student trains in a few minutes on a CPU (the widget's button, lesson 8): the recorded
#: setting (Fashion-MNIST, quarter width, two modules per grid, 75 px) on 1,000 fresh images an
#: epoch for 4 epochs - long enough for the residual network's head start to show.
SHORT_RUN: dict[str, Any] = {
    "data": "fashion_mnist", "width": 0.25, "depths": (2, 2, 2), "image_size": 75, "epochs": 4, "batch_size": 32,
    "base_lr": 0.0045, "data_kwargs": {"train_images": 1000, "val_images": 1000},
}
#: The same on the synthetic set, where Fashion-MNIST is not installed: it shows the mechanics, and a
#: few hundred synthetic images are too few to show the claim.
SYNTHETIC_SHORT_RUN: dict[str, Any] = {
    "data": "synthetic", "width": 0.125, "image_size": 75, "epochs": 3, "batch_size": 16, "data_kwargs": {"num_images": 128},
}
#: Fast mode (tests, CI): seconds, a check of the mechanics only.
FAST_SHORT_RUN: dict[str, Any] = {
    "data": "synthetic", "width": 0.0625, "image_size": 75, "epochs": 2, "batch_size": 8, "data_kwargs": {"num_images": 8},
}


def short_run() -> dict[str, Any]:
    """:data:`SHORT_RUN` where Fashion-MNIST's files are found, else :data:`SYNTHETIC_SHORT_RUN`;
    :data:`FAST_SHORT_RUN` in fast mode. Pass it on as ``run_pair(pair, out, **short_run())``."""
    if is_fast():
        return dict(FAST_SHORT_RUN)
    return dict(SHORT_RUN if find_folder() is not None else SYNTHETIC_SHORT_RUN)


def run_name(pair: str, model: str, tag: str | None = None) -> str:
    """``<pair>-<model>[-<tag>]``: the directory name :func:`run_pair` gives each run."""
    return f"{pair}-{model}" + (f"-{tag}" if tag else "")


def pair_of(run: Run) -> str | None:
    """The pair ``run`` was trained for by :func:`run_pair` (read from its directory name and
    model), or ``None`` for other runs (e.g. the scaling experiment's Inception-ResNet-v1)."""
    model = run.setting("model")
    return next((p for p, models in PAIRS.items() if model in models and run.name.startswith(f"{p}-{model}")), None)


def pair_configs(
    pair: str, out_dir: str | os.PathLike, data: str = "synthetic", tag: str | None = None, **settings: Any
) -> list[TrainConfig]:
    """The two :class:`TrainConfig` of ``pair``, run directories ``out_dir/<pair>-<model>[-<tag>]``.

    Inception-v3's auxiliary classifier is off (``aux_weights=()``) so that both networks minimise
    the same loss. Both networks share whatever ``depths`` the presets or ``settings`` give (every
    network of the pairs takes a ``depths`` option). Everything else comes from the presets plus
    ``settings``. Raises ``ValueError`` if the two networks would get different settings anyway.
    """
    if pair not in PAIRS:
        raise ValueError(f"unknown pair {pair!r}; choose one of {sorted(PAIRS)}")
    settings = {"aux_weights": (), **settings}
    configs = [
        TrainConfig.from_preset(model, data, out=str(Path(out_dir) / run_name(pair, model, tag)), **settings)
        for model in PAIRS[pair]
    ]
    shared = [{k: v for k, v in c.to_dict().items() if k not in PER_MODEL} for c in configs]
    if shared[0] != shared[1]:
        diff = {k: (shared[0][k], shared[1][k]) for k in shared[0] if shared[0][k] != shared[1][k]}
        raise ValueError(f"the presets give {pair}'s networks different settings {diff}; pass them explicitly")
    return configs


def run_pair(
    pair: str,
    out_dir: str | os.PathLike = "runs/residual_vs_plain",
    data: str = "synthetic",
    command: str | None = None,
    tag: str | None = None,
    **settings: Any,
) -> list[Run]:
    """Train both networks of ``pair`` (see :data:`PAIRS`) on ``data`` with identical ``settings``
    (any :class:`TrainConfig` field: ``width``, ``epochs``, ``batch_size``, ``image_size``...);
    returns the two runs, plain network first, in ``out_dir/<pair>-<model>[-<tag>]``.

    Each run's ``history.jsonl`` holds validation error per epoch with its wall-clock time, which is
    what the comparison plots read. The runs are never resumed, so the trainer's checkpoints are
    deleted afterwards to keep the directories small.
    """
    runs = []
    for config in pair_configs(pair, out_dir, data, tag, **settings):
        if (Path(config.out) / "history.jsonl").exists():
            raise FileExistsError(f"{config.out} already holds a run; choose another out_dir or delete it")
        trainer = Trainer(config, command=command)
        trainer.fit()
        shutil.rmtree(trainer.checkpoint_dir, ignore_errors=True)
        runs.append(load_run(trainer.run_dir))
    return runs



@dataclass(frozen=True)
class _TimeToTarget:
    """How soon each network of a pair first reached a shared ``target`` error, in epochs and in
    seconds, and the residual network's share of the plain network's (what the paper's claim is about)."""

    target: float
    plain_epochs: float
    residual_epochs: float
    plain_seconds: float
    residual_seconds: float

    @property
    def epoch_fraction(self) -> float:
        """The residual network's epochs to :attr:`target` over the plain network's."""
        return self.residual_epochs / self.plain_epochs

    @property
    def time_fraction(self) -> float:
        """The same in (median) wall-clock seconds."""
        return self.residual_seconds / self.plain_seconds


@dataclass(frozen=True)
class PairSummary(_TimeToTarget):
    """The paper's claim as numbers, from several seeds of both networks of a pair (median curves):
    each network's final error, and how soon each reached ``target`` - the worse of the two final
    errors, an error both networks reach - in epochs and in (median) wall-clock seconds. The
    paper's finding is a residual network that gets there in clearly fewer epochs and seconds, with
    a final error close to the plain network's."""

    pair: str
    seeds: int
    epochs: int
    chance: float
    plain_final: float
    plain_range: tuple[float, float]
    residual_final: float
    residual_range: tuple[float, float]
    residual_reaches_plain_final: float | None



def summarize_pair(runs: Sequence[Run], metric: str = "top1") -> PairSummary:
    """Summarise the runs of one pair (any number of seeds per network; both networks must have
    the same seeds and epochs) as a :class:`PairSummary` of ``metric``: ``"top1"`` (validation
    error, as the paper plots it) or a training metric such as ``"train_loss"`` (how fast each
    network fits its training set, which a small data set separates from how well it generalises)."""
    pairs = {pair_of(run) for run in runs}
    if len(pairs) != 1 or None in pairs:
        raise ValueError(f"runs of exactly one pair expected, got pairs {sorted(map(str, pairs))}")
    pair = pairs.pop()
    by_model = {group.setting("model"): group for group in group_runs(runs)}
    if set(by_model) != set(PAIRS[pair]) or len(by_model) != 2:
        raise ValueError(f"{pair}: expected one group of runs for each of {PAIRS[pair]}, got {sorted(by_model)}")
    plain, residual = (by_model[model] for model in PAIRS[pair])
    if plain.seeds != residual.seeds:
        raise ValueError(f"{pair}: the networks ran different seeds ({plain.seeds} vs {residual.seeds})")
    p_epochs, p_err, p_low, p_high = plain.band(metric, "epoch")
    r_epochs, r_err, r_low, r_high = residual.band(metric, "epoch")
    p_time, r_time = plain.band(metric, "wall_time")[0], residual.band(metric, "wall_time")[0]
    if not p_epochs or p_epochs != r_epochs:
        raise ValueError(f"{pair}: the networks' validation epochs differ ({len(p_epochs)} vs {len(r_epochs)})")
    target = shared_target(p_err, r_err)
    reaches = first_at_or_below(r_epochs, r_err, p_err[-1])
    classes = plain.runs[0].config.get("config", {}).get("data_kwargs", {}).get("num_classes", 10)
    return PairSummary(
        pair=pair, seeds=len(plain.runs), epochs=int(p_epochs[-1]), chance=1 - 1 / classes,
        plain_final=p_err[-1], plain_range=(p_low[-1], p_high[-1]),
        residual_final=r_err[-1], residual_range=(r_low[-1], r_high[-1]), target=target,
        plain_epochs=first_at_or_below(p_epochs, p_err, target),
        residual_epochs=first_at_or_below(r_epochs, r_err, target),
        plain_seconds=first_at_or_below(p_time, p_err, target),
        residual_seconds=first_at_or_below(r_time, r_err, target),
        residual_reaches_plain_final=reaches,
    )


@dataclass(frozen=True)
class SeedComparison(_TimeToTarget):
    """One seed of a pair: both networks' final errors, the shared target (the worse of the two, as in
    :func:`summarize_pair`) and how soon each network first reached it, in epochs and seconds."""

    seed: int
    plain_final: float
    residual_final: float



def compare_seeds(runs: Sequence[Run], metric: str = "top1") -> list[SeedComparison]:
    """:func:`summarize_pair`'s comparison for each seed on its own (the plain and the residual run
    of one seed), in seed order: a claim that holds per seed, not only for the median curves."""
    summary = summarize_pair(runs, metric)  # checks that the runs form one pair with matched seeds
    plain_model, residual_model = PAIRS[summary.pair]
    by_seed: dict[int, dict[str, Run]] = {}
    for run in runs:
        by_seed.setdefault(run.seed, {})[run.setting("model")] = run
    rows = []
    for seed, members in sorted(by_seed.items()):
        (p_epochs, p_err), (r_epochs, r_err) = (members[m].curve(metric, "epoch") for m in (plain_model, residual_model))
        p_time, r_time = (members[m].curve(metric, "wall_time")[0] for m in (plain_model, residual_model))
        target = max(p_err[-1], r_err[-1])
        rows.append(SeedComparison(
            seed=seed, plain_final=p_err[-1], residual_final=r_err[-1], target=target,
            plain_epochs=first_at_or_below(p_epochs, p_err, target), residual_epochs=first_at_or_below(r_epochs, r_err, target),
            plain_seconds=first_at_or_below(p_time, p_err, target), residual_seconds=first_at_or_below(r_time, r_err, target),
        ))
    return rows
