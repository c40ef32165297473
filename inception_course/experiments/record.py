"""Record the runs that ship in ``data/results/``: both residual-vs-plain pairs and the scaling
experiment, several seeds each, every run with a ``provenance.json``, plus a generated
``README.md`` that summarises them.

    python -m inception_course.experiments.record                 # everything, into data/results/
    python -m inception_course.experiments.record --only pairs --out /tmp/results --seeds 1

The defaults below are sized for a 2-core CPU (one torch thread per run, ``--jobs`` runs at a
time, never more than the machine's cores): narrow, shortened networks and 75 px Fashion-MNIST
images (real photographs; each epoch draws fresh training images, so nothing is memorised). They
are *not* the paper's ImageNet runs and every file says so (data set, image size, device). On a
GPU, pass ``--width 1 --image-size 299`` and more ``--epochs`` to get closer to the paper's setting.

Wall-clock comparisons stay fair because the two networks of a pair (same seed) always train at
the same time, side by side, when ``--jobs`` is 2 or more: whatever else loads the machine slows
both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Sequence

import torch

from ..config import FAST_ENV, is_fast
from ..training import Trainer, TrainConfig
from .residual_vs_plain import PAIRS, compare_seeds, pair_configs, summarize_pair
from .activations import build_network, widest_residual_block
from .runs import Run, list_runs, load_run, results_dir
from .scaling import (
    DEFAULT_LR, EXPERIMENT_DATA, arm_config, died_fractions, final_error, recorded_experiments, scaling_settings,
    tail_zero_fraction, train_arm,
)

#: Shared by every recorded pair run, CPU-sized (lesson 8 says how they were chosen): Fashion-MNIST
#: (real photographs: 4,000 fresh training images an epoch out of 60,000, so nothing is memorised;
#: 2,000 test images for validation), quarter-width networks with two modules per grid size (both
#: networks of a pair alike), 75 px images, and a tenth of the paper's learning rate.
PAIR_DEFAULTS: dict[str, Any] = {
    "data": "fashion_mnist", "width": 0.25, "depths": (2, 2, 2), "image_size": 75, "epochs": 10, "batch_size": 32,
    "base_lr": 0.0045, "data_kwargs": {"train_images": 4000, "val_images": 2000},
}
#: The recorded scaling experiment: a narrow and a wide Inception-ResNet-v1 (224- and 1120-channel
#: widest residual blocks; the paper's threshold is about 1000), scale 1.0 against the paper's 0.2.
SCALING_WIDTHS = (0.125, 0.625)
SCALING_SCALES = (1.0, 0.2)
SCALING_MODEL = "inception_resnet_v1"


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
        "seed": run.setting("seed"),
        "note": note,
    }


def _train(kind: str, config: dict[str, Any], command: str, what: str) -> str:
    """One recorded run, in a worker process: train, then write its provenance. Returns its folder."""
    torch.set_num_threads(1)
    config = TrainConfig(**config)
    if kind == "scaling":
        run = train_arm(config, command).run
    else:
        trainer = Trainer(config, command=command)
        trainer.fit()
        shutil.rmtree(trainer.checkpoint_dir, ignore_errors=True)
        run = load_run(trainer.run_dir)
    (run.path / "provenance.json").write_text(json.dumps(provenance(run, command, what), indent=2) + "\n")
    return str(run.path)


def pair_jobs(
    out: Path, settings: dict[str, Any], seeds: Sequence[int], pairs: Sequence[str] = tuple(PAIRS)
) -> list[tuple[str, dict, str]]:
    """``(kind, config, description)`` for every run of ``pairs``, the two networks of one seed adjacent."""
    train_settings = {k: v for k, v in settings.items() if k != "data"}
    jobs = []
    for pair in pairs:
        for seed in seeds:
            configs = pair_configs(pair, out, settings["data"], tag=f"s{seed}", seed=seed, num_workers=0, **train_settings)
            jobs += [("pair", c.to_dict(), f"residual-vs-plain pair {pair}, seed {seed}") for c in configs]
    return jobs


def scaling_jobs(
    out: Path, widths: Sequence[float], seeds: Sequence[int], lr: float = DEFAULT_LR, data: str = EXPERIMENT_DATA
) -> list[tuple[str, dict, str]]:
    """``(kind, config, description)`` for every scaling arm: width x scale x seed."""
    jobs = []
    for seed in seeds:
        for width in widths:
            settings = scaling_settings(lr, width=width, seed=seed, num_workers=0)
            for scale in SCALING_SCALES:
                config = arm_config(SCALING_MODEL, scale, out, settings, data)
                jobs.append(("scaling", config.to_dict(), f"scaling experiment, width {width:g}, residual scale {scale:g}, seed {seed}"))
    return jobs


def run_jobs(jobs: list[tuple[str, dict, str]], command: str, workers: int) -> None:
    """Train ``jobs`` with ``workers`` processes (in order: adjacent jobs run side by side). Every
    job loads its data in its own process (``num_workers=0``): the images are cheap to prepare, and
    loader processes started afresh every epoch would cost more than they save."""
    if workers <= 1:
        for kind, config, what in jobs:
            print("recorded", _train(kind, config, command, what), flush=True)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for path in pool.map(_train, *zip(*[(k, c, command, w) for k, c, w in jobs])):
            print("recorded", path, flush=True)


def _format_error(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


README_START = "<!-- recorded-runs:start (written by python -m inception_course.experiments.record) -->"
README_END = "<!-- recorded-runs:end -->"
REPO_README = Path(__file__).resolve().parents[2] / "README.md"


def summary_lines(out: Path) -> list[str]:
    """The pair comparison and the scaling table (Markdown), read from the runs in ``out``."""
    runs = list_runs(out)
    lines: list[str] = []
    pair_runs = {pair: [r for r in runs if r.name.startswith(f"{pair}-")] for pair in PAIRS}
    if any(pair_runs.values()):
        lines += [
            "Residual vs plain (median over seeds; top-1 error as a fraction; the target is the worse of the two",
            "final errors, an error both networks reach):", "",
            "| pair | seeds | epochs | chance | plain final | residual final | target | epochs to it: plain / residual | seconds to it: plain / residual |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for pair, members in pair_runs.items():
            if not members:
                continue
            s = summarize_pair(members)
            lines.append(
                f"| {pair} | {s.seeds} | {s.epochs} | {s.chance:.2f} |"
                f" {s.plain_final:.3f} ({s.plain_range[0]:.3f}-{s.plain_range[1]:.3f}) |"
                f" {s.residual_final:.3f} ({s.residual_range[0]:.3f}-{s.residual_range[1]:.3f}) | {s.target:.3f} |"
                f" {s.plain_epochs:g} / {s.residual_epochs:g} ({s.epoch_fraction:.2f}) |"
                f" {s.plain_seconds:.0f} / {s.residual_seconds:.0f} ({s.time_fraction:.2f}) |"
            )
    if any(pair_runs.values()):
        lines += [
            "", "The same comparison seed by seed (each seed's target is the worse of its two final errors):", "",
            "| pair | seed | plain final | residual final | target | epochs to it: plain / residual | seconds to it: plain / residual |",
            "|---|---|---|---|---|---|---|",
        ]
        for pair, members in pair_runs.items():
            for c in compare_seeds(members) if members else []:
                lines.append(
                    f"| {pair} | {c.seed} | {c.plain_final:.3f} | {c.residual_final:.3f} | {c.target:.3f} |"
                    f" {c.plain_epochs:g} / {c.residual_epochs:g} ({c.epoch_fraction:.2f}) |"
                    f" {c.plain_seconds:.0f} / {c.residual_seconds:.0f} ({c.time_fraction:.2f}) |"
                )
    arms = [arm for group in recorded_experiments(out).values() for arm in group]
    if arms:
        lines += [
            "", "Residual scaling: seeds that died (a silent last layer and an error that stayed up; criterion in",
            "`inception_course/experiments/scaling.py`), each seed's final validation top-1 error and tail zero fraction:", "",
            "| width | widest residual block (channels) | learning rate | residual scale | died | final top-1 error per seed | zeros at the end per seed |",
            "|---|---|---|---|---|---|---|",
        ]
        for (width, lr, scale), (dead, total) in died_fractions(arms).items():
            channels = widest_residual_block(build_network(arms[0].run.setting("model"), width=width, depths=(1, 1, 1)))
            cell = sorted(
                (a for a in arms if (a.run.setting("width"), a.run.setting("lr"), a.scale) == (width, lr, scale)),
                key=lambda a: a.run.setting("seed"),
            )
            errors = ", ".join(_format_error(final_error(a.run)) for a in cell)
            zeros = ", ".join(_format_error(tail_zero_fraction(a.run.curve("zero_fraction", "step")[1])) for a in cell)
            lines.append(f"| {width:g} | {channels} | {lr:g} | {scale:g} | {dead} of {total} | {errors} | {zeros} |")
    return lines


def write_index(out: Path) -> None:
    """``out/README.md``: :func:`summary_lines`, then every run directory, all read from the runs'
    history files."""
    runs = list_runs(out)
    lines = [
        "# Recorded runs",
        "",
        "Written by `python -m inception_course.experiments.record` (each run's `provenance.json` holds the exact",
        "command, device, torch version, date, data set and image size). Every number below is read from the",
        "runs' `history.jsonl` by that command. These are small CPU runs on Fashion-MNIST (75 px, narrow and",
        "shortened networks), not the paper's ImageNet results; the device column says where each ran.",
        "",
        *summary_lines(out),
        "", "Every run:", "",
        "| run | model | seed | device | epochs | wall time (s) | final val top-1 err | final val top-5 err |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        epochs, top1 = run.curve("top1", "epoch")
        wall = run.curve("top1", "wall_time")[0]
        top5 = run.curve("top5", "epoch")[1]
        lines.append(
            f"| `{run.name}` | {run.setting('model')} | {run.setting('seed')} | {run.setting('device')} |"
            f" {epochs[-1] if epochs else 0} | {wall[-1] if wall else 0:.0f} |"
            f" {_format_error(top1[-1] if top1 else None)} | {_format_error(top5[-1] if top5 else None)} |"
        )
    (out / "README.md").write_text("\n".join(lines) + "\n")


def update_readme(readme: Path, out: Path) -> bool:
    """Replace the block between :data:`README_START` and :data:`README_END` in ``readme`` with
    :func:`summary_lines`; ``False`` (nothing written) when the markers are missing."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(head + README_START + "\n" + "\n".join(summary_lines(out)) + "\n" + README_END + tail)
    return True


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: the repository's data/results)")
    parser.add_argument("--only", choices=["pairs", "scaling"], default=None, help="record one experiment only")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per network or arm (default 3)")
    parser.add_argument("--pairs", nargs="+", choices=sorted(PAIRS), default=list(PAIRS), help="which pairs to record (default both)")
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1),
        help="runs trained at the same time, one torch thread each (default 2; at most the number of cores)",
    )
    parser.add_argument("--scaling-lr", type=float, default=DEFAULT_LR, help=f"scaling arms' learning rate (default {DEFAULT_LR})")
    parser.add_argument(
        "--scaling-widths", type=float, nargs="+", default=list(SCALING_WIDTHS),
        help=f"scaling arms' network widths (default {' '.join(map(str, SCALING_WIDTHS))})",
    )
    parser.add_argument("--index-only", action="store_true", help="only rewrite README.md from the runs already in --out")
    for key, value in PAIR_DEFAULTS.items():
        if isinstance(value, tuple):
            kind: dict[str, Any] = {"nargs": len(value), "type": int}
        else:
            kind = {"type": json.loads if isinstance(value, dict) else type(value)}
        parser.add_argument(f"--{key.replace('_', '-')}", default=value, help=f"pair runs' {key} (default {value})", **kind)
    args = parser.parse_args(argv)
    if is_fast() and args.out is None:
        parser.error(f"fast mode is on ({FAST_ENV}): unset it to record the shipped runs, or pass --out")
    if args.seeds < 1 or args.jobs < 1:
        parser.error("--seeds and --jobs must be at least 1")
    if args.jobs > (os.cpu_count() or 1):
        parser.error(f"--jobs {args.jobs} is more than this machine's {os.cpu_count()} cores: runs would slow each other")
    torch.set_num_threads(1)
    out = results_dir(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "-m", "inception_course.experiments.record", *(sys.argv[1:] if argv is None else argv)])
    if not args.index_only:
        seeds = range(args.seeds)
        jobs = []
        if args.only != "scaling":
            settings = {k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in PAIR_DEFAULTS}
            jobs += pair_jobs(out, settings, seeds, args.pairs)
        if args.only != "pairs":
            jobs += scaling_jobs(out, args.scaling_widths, seeds, args.scaling_lr)
        run_jobs(jobs, command, args.jobs)
    write_index(out)
    print(f"wrote {out / 'README.md'}")
    if args.out is None and update_readme(REPO_README, out):
        print(f"updated the recorded-runs section of {REPO_README}")


if __name__ == "__main__":
    main()
