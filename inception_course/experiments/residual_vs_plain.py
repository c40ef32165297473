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
from pathlib import Path
from typing import Any

from ..training import Trainer, TrainConfig
from .activations import accepts_option
from .runs import Run, load_run

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
    the same loss. Inception-v3 has no ``depths`` option, so its pair always has the paper's depths
    (fast mode's shorter stages would make Inception-ResNet-v1 much cheaper than v3); the v4 pair
    shares whatever ``depths`` the presets or ``settings`` give. Everything else comes from the
    presets plus ``settings``. Raises ``ValueError`` if the two networks would get different
    settings anyway.
    """
    if pair not in PAIRS:
        raise ValueError(f"unknown pair {pair!r}; choose one of {sorted(PAIRS)}")
    settings = {"aux_weights": (), **settings}
    if not all(accepts_option(model, "depths") for model in PAIRS[pair]):
        if settings.get("depths") is not None:
            raise ValueError(f"{PAIRS[pair][0]} takes no depths option; leave depths out for {pair}")
        settings["depths"] = None
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

