"""Training throughput per model: images/s, peak GPU memory, and the largest batch that fits.

Each model gets one :class:`~inception_course.training.Trainer` (the paper's recipe: TF-style
RMSProp, gradient clipping, weight averaging, label smoothing, auxiliary losses) and is driven through
``Trainer.train_step`` on a fixed random batch already on the device, so the numbers measure the
training step itself (forward, backward, optimiser, EMA) and not the data loader (see
``model_speed.py`` and the data module's loader benchmark for those).

* **images/s**: ``--steps`` timed steps after ``--warmup`` untimed ones, at ``--batch-size``,
  with a device synchronisation before and after the timed loop only.
* **peak memory**: ``torch.cuda.max_memory_allocated`` over the timed steps (GPU only).
* **largest batch**: doubling from ``--batch-size`` until CUDA runs out of memory (or
  ``--max-batch``), then bisecting to a multiple of 8. GPU only; on a CPU the search stops at
  ``--max-batch`` and says so.

    # GPU (the README's numbers): every model at 299 px in bf16, channels_last
    python benchmarks/train_throughput.py --device cuda --precision bf16 --image-size 299 --batch-size 64 \
        --out benchmarks/results/train_throughput.json
    # CPU smoke run with tiny settings (seconds; not a measurement to publish)
    python benchmarks/train_throughput.py --device cpu --precision fp32 --image-size 75 --width 0.25 \
        --batch-size 2 --steps 2 --warmup 1 --max-batch 4 --models inception_v4
"""

from __future__ import annotations

import argparse
import datetime
import gc
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402  (a script beside this one)

from inception_course import list_models  # noqa: E402
from inception_course.evaluation.records import write_json_atomic  # noqa: E402
from inception_course.training import TrainConfig, Trainer  # noqa: E402


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_trainer(model: str, args: argparse.Namespace, out: str) -> Trainer:
    """A trainer for ``model`` with the benchmark's settings (synthetic data: nothing is loaded)."""
    settings = dict(
        out=out, device=args.device, precision=args.precision, image_size=args.image_size, width=args.width,
        batch_size=args.batch_size, compile=args.compile, channels_last=args.channels_last, num_workers=0,
        data_kwargs={"num_images": args.batch_size},
    )
    return Trainer(TrainConfig.from_preset(model, "synthetic", **settings))


def random_batch(trainer: Trainer, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    size, classes = trainer.image_size, trainer.train_set.num_classes
    images = torch.randn(batch_size, 3, size, size, device=trainer.device)
    targets = torch.randint(0, classes, (batch_size,), device=trainer.device)
    return [(images, targets)]


def images_per_second(trainer: Trainer, batch_size: int, steps: int, warmup: int) -> tuple[float, float | None]:
    """(images/s, peak GiB or None on a CPU) for ``steps`` training steps at ``batch_size``."""
    batch = random_batch(trainer, batch_size)
    for _ in range(warmup):
        trainer.train_step(batch)
    synchronize(trainer.device)
    if trainer.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(trainer.device)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(batch)
    synchronize(trainer.device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(trainer.device) / 2**30 if trainer.device.type == "cuda" else None
    return batch_size * steps / seconds, peak


def fits(trainer: Trainer, batch_size: int) -> bool:
    """Whether two training steps at ``batch_size`` run without CUDA running out of memory."""
    try:
        images_per_second(trainer, batch_size, steps=1, warmup=1)
        return True
    except torch.cuda.OutOfMemoryError:
        return False
    finally:
        trainer.optimizer.zero_grad(set_to_none=True)
        gc.collect()
        if trainer.device.type == "cuda":
            torch.cuda.empty_cache()


def largest_batch(trainer: Trainer, start: int, limit: int) -> tuple[int, bool]:
    """(largest batch that fits, whether the search hit ``limit`` rather than running out of memory)."""
    good, bad = 0, None
    size = start
    while size <= limit:
        if not fits(trainer, size):
            bad = size
            break
        good, size = size, size * 2
    if bad is None:
        return good, True
    while bad - good > 8:  # bisect to a multiple of 8
        middle = (good + bad) // 2 // 8 * 8 or good + 1
        good, bad = (middle, bad) if fits(trainer, middle) else (good, middle)
    return good, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list_models(), choices=list_models())
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16", "fp16"])
    parser.add_argument("--image-size", type=int, default=299)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=64, help="batch for images/s; start of the largest-batch search")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--max-batch", type=int, default=2048)
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--out", help="write the results with their provenance as JSON")
    args = parser.parse_args(argv)

    device = torch.device(args.device)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    rows = []
    print(f"{'model':22} {'images/s':>10} {'peak GiB':>9} {'largest batch':>14}")
    for model in args.models:
        with tempfile.TemporaryDirectory() as out:
            trainer = make_trainer(model, args, out)
            speed, peak = images_per_second(trainer, args.batch_size, args.steps, args.warmup)
            biggest, capped = largest_batch(trainer, args.batch_size, args.max_batch)
        rows.append({"model": model, "images_per_s": speed, "peak_memory_gib": peak,
                     "largest_batch": biggest, "largest_batch_capped": capped})
        peak_text = f"{peak:.2f}" if peak is not None else "n/a"
        biggest_text = f">={biggest}" if capped else str(biggest)
        print(f"{model:22} {speed:10.1f} {peak_text:>9} {biggest_text:>14}", flush=True)
        del trainer
        gc.collect()
    if args.out:
        write_json_atomic(args.out, {
            "command": shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]),
            "device": device_name,
            "machine": machine(device),
            "torch": torch.__version__,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "settings": vars(args),
            "results": rows,
        })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
