"""Record the runs that ship in ``data/results/``: both residual-vs-plain pairs and the scaling
experiment, each with a ``provenance.json``, plus a generated ``README.md`` index.

    python -m inception_course.experiments.record                 # everything, into data/results/
    python -m inception_course.experiments.record --only pairs --out /tmp/results

The defaults below are sized for a 2-core CPU (about 20 minutes for the pairs and one for the
scaling experiment, one torch thread): a narrow network, 75 px images of the synthetic set. They are *not* the paper's ImageNet runs and every file
says so (data set, image size, device). On a GPU, pass ``--width 1 --image-size 299 --num-images
10000`` and more ``--epochs`` to get closer to the paper's setting.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

import torch

from ..config import FAST_ENV, is_fast
from .residual_vs_plain import PAIRS, run_pair
from .runs import Run, list_runs, results_dir
from .scaling import ScalingRun, recorded_experiments, run_scaling_experiment

#: Shared by every recorded pair run (CPU-sized; see the module docstring).
PAIR_DEFAULTS: dict[str, Any] = {"width": 0.125, "image_size": 75, "epochs": 20, "batch_size": 32, "num_images": 2048}
#: The recorded scaling experiment (``scaling.EXPERIMENT`` budget, scales 1.0 and 0.2) at two
#: learning rates: one where the instability showed in short CPU runs, one where it did not.
SCALING_LRS = (0.45, 0.1)


def provenance(run: Run, command: str, what: str) -> dict[str, Any]:
    """Where ``run``'s numbers come from: the command, machine, software, date and data."""
    env = run.config.get("environment", {})
    resolved = run.config.get("resolved", {})
    note = (
        f"{what}; recorded on {env.get('device')} ({env.get('device_name')}) with the {run.setting('data')} data set"
        f" at {resolved.get('image_size')} px and width {run.setting('width')}: not ImageNet, not the paper's full-size runs"
    )
    return {
        "command": command,
        "device": env.get("device"),
        "device_name": env.get("device_name"),
        "torch": env.get("torch"),
        "torch_threads": torch.get_num_threads(),
        "python": env.get("python") or platform.python_version(),
        "date": env.get("date"),
        "data": run.setting("data"),
        "data_kwargs": run.setting("data_kwargs"),
        "image_size": resolved.get("image_size"),
        "model": run.setting("model"),
        "width": run.setting("width"),
        "note": note,
    }


def _write_provenance(run: Run, command: str, what: str) -> None:
    (run.path / "provenance.json").write_text(json.dumps(provenance(run, command, what), indent=2) + "\n")


def record_pairs(out: Path, command: str, settings: dict[str, Any]) -> list[Run]:
    """Train both pairs with ``settings`` into ``out`` and write their provenance."""
    train_settings = {k: v for k, v in settings.items() if k != "num_images"}
    runs = []
    for pair in PAIRS:
        for run in run_pair(pair, out, "synthetic", command, data_kwargs={"num_images": settings["num_images"]}, **train_settings):
            _write_provenance(run, command, f"residual-vs-plain pair {pair}")
            runs.append(run)
    return runs


def record_scaling(out: Path, command: str, lrs: Sequence[float] = SCALING_LRS) -> list[ScalingRun]:
    """Run the scaling experiment (scales 1.0 and 0.2) at each learning rate in ``lrs`` into ``out``
    and write its provenance."""
    arms = []
    for lr in lrs:
        for arm in run_scaling_experiment(scales=(1.0, 0.2), out_dir=out, lr=lr, command=command):
            _write_provenance(arm.run, command, f"scaling experiment, residual scale {arm.scale:g}, lr {lr:g}, {arm.verdict}")
            arms.append(arm)
    return arms


def _final(run: Run, metric: str) -> str:
    ys = run.curve(metric, "epoch")[1]
    return f"{ys[-1]:.3f}" if ys and math.isfinite(ys[-1]) else "-"


def write_index(out: Path) -> None:
    """``out/README.md``: every run directory in ``out`` with its final numbers, read from its history."""
    runs = list_runs(out)
    lines = [
        "# Recorded runs",
        "",
        "Written by `python -m inception_course.experiments.record` (each run's `provenance.json` holds the exact",
        "command, device, torch version, date, data set and image size). Every number below is read from the",
        "run's `history.jsonl` by that command. These are small runs on the synthetic data set, not the paper's",
        "ImageNet results; the device column says where each ran.",
        "",
        "| run | model | data | device | epochs | wall time (s) | final val top-1 err | final val top-5 err |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        epochs, _ = run.curve("top1", "epoch")
        wall = run.curve("top1", "wall_time")[0]
        lines.append(
            f"| `{run.name}` | {run.setting('model')} | {run.setting('data')} | {run.setting('device')} |"
            f" {epochs[-1] if epochs else 0} | {wall[-1] if wall else 0:.0f} | {_final(run, 'top1')} | {_final(run, 'top5')} |"
        )
    arms = [arm for group in recorded_experiments(out).values() for arm in group]
    if arms:
        lines += [
            "", "Scaling experiment (the criterion is in `inception_course/experiments/scaling.py`). A run that did not",
            "die may still be on its way: `plot_scaling_experiment` shows the zero fraction step by step.", "",
        ]
        lines += [f"* `{a.run.name}` (lr {a.run.setting('lr')}, clipping {a.run.setting('clip_grad_norm')}): {a.verdict}" for a in arms]
    (out / "README.md").write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: the repository's data/results)")
    parser.add_argument("--only", choices=["pairs", "scaling"], default=None, help="record one experiment only")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="CPU threads for torch (default 1: these tiny networks gain nothing from more, and on a busy"
        " machine extra threads mostly spin-wait, multiplying the CPU time)",
    )
    for key, value in PAIR_DEFAULTS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value, help=f"pair runs' {key} (default {value})")
    args = parser.parse_args(argv)
    if is_fast() and args.out is None:
        parser.error(f"fast mode is on ({FAST_ENV}): unset it to record the shipped runs, or pass --out")
    torch.set_num_threads(args.threads)
    out = results_dir(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "-m", "inception_course.experiments.record", *(sys.argv[1:] if argv is None else argv)])
    if args.only != "scaling":
        record_pairs(out, command, {k: getattr(args, k) for k in PAIR_DEFAULTS})
    if args.only != "pairs":
        record_scaling(out, command)
    write_index(out)
    print(f"wrote {out / 'README.md'}")


if __name__ == "__main__":
    main()
