"""The trainer against its own training step, side by side, at the recorded experiments' settings.

``python -m inception_course.experiments.record`` trains quarter-width networks with two modules
per grid at 75 px, batch 32, TF-style RMSProp, per-tensor clipping at 2.0, weight averaging and
label smoothing, one torch thread, on the recorder's data (``PAIR_DEFAULTS["data"]``, drawn in the
training process). This script builds
that :class:`~inception_course.training.Trainer` (``record.PAIR_DEFAULTS``) and measures, in one
process and interleaved (who goes first alternates every round, so changes in load hit both):

* **bare step**: forward, loss, backward, per-tensor clipping, optimiser step on one fixed batch,
  with a second trainer's model, optimiser and loss (the same settings): the speed limit;
* **trainer**: one training epoch of ``Trainer`` (``_train_epoch``: data drawn and loaded, the
  step, weight average, monitors, loss guard, logging, progress bar), validation excluded.

The ratio trainer / bare step is the share of the step's speed that the trainer keeps (the issue's
goal: 0.85 or more). ``--options bf16 compile`` also time the bare step under CPU bf16 autocast and
under ``torch.compile`` (the ratio to the fp32 bare step of the same round). ``--profile`` prints
where one trainer epoch spends its time (cProfile, cumulative seconds per part).

    python benchmarks/trainer_throughput.py --models inception_v4 inception_resnet_v2 --repeats 3 \\
        --out benchmarks/results/cpu/trainer_throughput.json
    python benchmarks/trainer_throughput.py --models inception_v4 --repeats 1 --profile

Times are the process's CPU time by default (``--clock cpu``: one thread, data drawn in-process,
so this is all the work the run did; other jobs on a shared machine disturb it far less than the
wall clock), images/s = images / seconds. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, provenance  # noqa: E402  (a script beside this one)

from inception_course.evaluation.records import write_json_atomic  # noqa: E402
from inception_course.experiments.record import PAIR_DEFAULTS  # noqa: E402
from inception_course.training import TrainConfig, Trainer  # noqa: E402
from inception_course.training.clip import clip_gradients_  # noqa: E402

MODELS = ("inception_v4", "inception_resnet_v2", "inception_v3", "inception_resnet_v1")
OPTIONS = ("bf16", "compile")
#: The functions that are the parts of a trainer epoch in cProfile: (file name ends with, function).
PARTS = {
    "the whole step": ("trainer.py", "train_step"), "backward": ("graph.py", "_engine_run_backward"),
    "clipping": ("clip.py", "clip_gradients_"), "optimiser": ("optim.py", "step"),
    "weight average": ("ema.py", "update"), "loss guard": ("monitors.py", "update"),
    "data (draw + collate)": ("dataloader.py", "__next__"), "logging": ("trainer.py", "_log_train"),
    "progress bar": ("std.py", "update"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS[:2]), choices=MODELS)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per model (after one warm-up round)")
    parser.add_argument("--num-images", type=int, default=640, help="training images: one epoch = this / batch steps")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--options", nargs="*", default=[], choices=OPTIONS, help="also time the bare step so")
    parser.add_argument("--profile", action="store_true", help="print where one trainer epoch spends its time")
    parser.add_argument("--out", type=Path, help="write every repeat with its provenance as JSON")
    return parser.parse_args(argv)


def make_trainer(model: str, out: str, num_images: int) -> Trainer:
    """A trainer with the recorder's pair settings and data (``num_images`` fresh training images per
    epoch; auxiliary loss off, data drawn in-process)."""
    settings = {k: v for k, v in PAIR_DEFAULTS.items() if k not in ("epochs", "data", "data_kwargs")}
    config = TrainConfig.from_preset(
        model, PAIR_DEFAULTS["data"], out=out, device="cpu", epochs=10**6, aux_weights=(), num_workers=0,
        data_kwargs={**PAIR_DEFAULTS["data_kwargs"], "train_images": num_images}, **settings,
    )
    return Trainer(config)


def bare_step(trainer: Trainer, option: str | None) -> Callable[[], None]:
    """Forward, loss, backward, clipping, optimiser step on the first training batch (no data, no extras)."""
    if trainer.zero_monitor is not None:
        trainer.zero_monitor.remove()  # the bare step has no monitor hook
    images, targets = next(iter(trainer.train_loader))
    images = images.contiguous(memory_format=torch.channels_last) if trainer.config.channels_last else images
    model = torch.compile(trainer.model) if option == "compile" else trainer.model
    model.train()
    params = [p for p in trainer.model.parameters() if p.requires_grad]
    cfg = trainer.config
    autocast = (
        (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if option == "bf16" else contextlib.nullcontext
    )

    def step() -> None:
        with autocast():
            loss = trainer.criterion(model(images), targets)
        loss.backward()
        clip_gradients_(params, cfg.clip_grad_norm, cfg.clip_mode)
        trainer.optimizer.step()
        trainer.optimizer.zero_grad(set_to_none=True)

    return step


def trainer_epoch(trainer: Trainer) -> Callable[[], None]:
    """One training epoch of ``trainer`` (no validation, no checkpoint)."""

    def epoch() -> None:
        trainer._train_epoch()  # noqa: SLF001  (the epoch without validation is what is timed)
        trainer.epoch += 1
        trainer.batch_in_epoch = 0

    trainer._session_start = trainer._interval_start = time.perf_counter()  # noqa: SLF001  (what fit() sets)
    trainer._interval_step = trainer.step  # noqa: SLF001
    return epoch


def timed(work: Callable[[], None], times: int, clock: str) -> float:
    now = time.process_time if clock == "cpu" else time.perf_counter
    start = now()
    for _ in range(times):
        work()
    return now() - start


def profile_epoch(epoch: Callable[[], None]) -> dict[str, float]:
    """Cumulative seconds of each of :data:`PARTS` in one trainer epoch, and the total."""
    profiler = cProfile.Profile(time.process_time)  # CPU seconds, as the rest of the script
    start = time.process_time()
    profiler.runcall(epoch)
    total = time.process_time() - start
    stats = pstats.Stats(profiler).stats  # {(file, line, function): (calls, calls, tottime, cumtime, callers)}
    parts = {
        part: sum(row[3] for (file, _, function), row in stats.items() if file.endswith(ends) and function == name)
        for part, (ends, name) in PARTS.items()
    }
    parts["forward + loss (the step's rest)"] = parts["the whole step"] - sum(
        parts[p] for p in ("backward", "clipping", "optimiser", "weight average", "loss guard")
    )
    return {"total (CPU s, profiled)": total, **parts}


def measure(model: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as bare_dir, tempfile.TemporaryDirectory() as run_dir:
        trainer = make_trainer(model, run_dir, args.num_images)
        reference = make_trainer(model, bare_dir, args.num_images)
        try:
            steps, batch = trainer.steps_per_epoch, trainer.config.batch_size
            work = {"trainer": trainer_epoch(trainer), "bare step": bare_step(reference, None)}
            times = {"trainer": 1, "bare step": steps}
            for option in args.options:
                work[f"bare step, {option}"] = bare_step(reference, option)
                times[f"bare step, {option}"] = steps
            seconds: dict[str, list[float]] = {name: [] for name in work}
            for round_ in range(args.repeats + 1):  # round 0 warms up (and compiles)
                names = list(work) if round_ % 2 else list(reversed(work))
                for name in names:
                    took = timed(work[name], times[name], args.clock)
                    if round_:
                        seconds[name].append(took)
            profile = profile_epoch(work["trainer"]) if args.profile else None
        finally:
            trainer.close()
            reference.close()
    images = steps * batch
    result = {
        "model": model, "images_per_epoch": images, "seconds": seconds,
        "images_per_s": {name: [images / s for s in values] for name, values in seconds.items()},
    }
    medians = {name: statistics.median(v) for name, v in result["images_per_s"].items()}
    result["median_images_per_s"] = medians
    result["trainer_vs_bare_step"] = medians["trainer"] / medians["bare step"]
    for option in args.options:
        result[f"{option}_vs_fp32_bare_step"] = medians[f"bare step, {option}"] / medians["bare step"]
    if profile is not None:
        result["profile"] = profile
    return result


def report(result: dict) -> None:
    medians = result["median_images_per_s"]
    spread = {n: f"{min(v):.0f}-{max(v):.0f}" for n, v in result["images_per_s"].items()}
    print(f"{result['model']}: " + "; ".join(f"{n} {medians[n]:.0f} img/s ({spread[n]})" for n in medians)
          + f"; trainer / bare step {result['trainer_vs_bare_step']:.2f}", flush=True)
    for name, value in result.get("profile", {}).items():
        print(f"    {name:28} {value:7.2f} s")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    header = provenance(vars(args))
    print(f"on {describe(header['machine'])}, torch {header['torch']}, {args.clock} clock", flush=True)
    results = []
    for model in args.models:
        results.append(measure(model, args))
        report(results[-1])
    if args.out:
        write_json_atomic(args.out, {"provenance": header, "results": results})
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
