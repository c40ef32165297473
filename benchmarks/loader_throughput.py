"""Images per second that the data pipeline delivers, per configuration.

Compare the numbers with your model's training speed (images/s on the GPU): if the loader is
slower, the GPU waits on it, and more workers, a smaller image size or a cached data set
(``--cached``: decoded once to ``uint8`` tensors, see ``inception_course.data.cache``) will help.

Each configuration builds a loader with ``build_loader`` (the settings training uses), takes one
batch untimed (worker start-up and the first file reads), then times ``--batches`` batches. No
model runs: this is the loader alone.

    python benchmarks/loader_throughput.py                               # synthetic, 0 and 2 workers
    python benchmarks/loader_throughput.py --image-sizes 75 299 --workers 0 2 4
    python benchmarks/loader_throughput.py --dataset imagenette --size 320 --download --cached \\
        --short-side 320 --workers 2 8 --out loader_imagenette.json
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402  (a script beside this one)

from inception_course.data import build_dataset, build_loader, cache_dataset, list_datasets  # noqa: E402
from inception_course.data.loaders import available_cpus  # noqa: E402
from inception_course.evaluation.records import write_json_atomic  # noqa: E402


def images_per_second(dataset: Any, batch_size: int, workers: int, batches: int) -> float:
    """Throughput of ``batches`` batches after one untimed batch."""
    loader = build_loader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers)
    iterator = iter(loader)
    next(iterator)
    start, images = time.perf_counter(), 0
    for _ in range(batches):
        try:
            images += len(next(iterator)[1])
        except StopIteration:
            break
    return images / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="synthetic", choices=list_datasets())
    parser.add_argument("--split", default="train", choices=["train", "val"])
    parser.add_argument("--root", default=None, help="data root (default: config.data_root())")
    parser.add_argument("--size", default=None, help="imagenette/imagewoof archive: full, 320 or 160")
    parser.add_argument("--download", action="store_true", help="fetch imagenette/imagewoof if missing")
    parser.add_argument("--image-sizes", type=int, nargs="+", default=[75, 299])
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=10, help="timed batches per configuration")
    parser.add_argument("--cached", action="store_true", help="also time the uint8 cache of the data set")
    parser.add_argument("--short-side", type=int, default=160, help="cached images' shorter side")
    parser.add_argument("--out", default=None, help="write the results with provenance to this JSON file")
    args = parser.parse_args(argv)

    options: dict[str, Any] = {}
    if args.dataset in ("imagenette", "imagewoof"):
        options = {"download": args.download, **({"size": args.size} if args.size else {})}
    rows = []
    print(f"{'dataset':<12} {'cached':>6} {'size':>5} {'workers':>7} {'images/s':>10}")
    for image_size in args.image_sizes:
        for cached in [False, True] if args.cached else [False]:
            common = dict(root=args.root, image_size=image_size, **options)
            if cached:
                dataset = cache_dataset(args.dataset, args.split, args.short_side, **common)
            else:
                dataset = build_dataset(args.dataset, args.split, **common)
            for workers in args.workers:
                rate = images_per_second(dataset, args.batch_size, workers, args.batches)
                rows.append(dict(dataset=args.dataset, cached=cached, image_size=image_size, workers=workers,
                                 images_per_second=round(rate, 1)))  # fmt: skip
                print(f"{args.dataset:<12} {str(cached):>6} {image_size:>5} {workers:>7} {rate:>10.1f}")
    if args.out:
        provenance = {
            "command": shlex.join([os.path.basename(sys.executable), *sys.argv]),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(),
            "usable_cpus": available_cpus(),
            "machine": machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "batch_size": args.batch_size,
            "timed_batches": args.batches,
        }
        write_json_atomic(args.out, {"provenance": provenance, "results": rows})
        print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
