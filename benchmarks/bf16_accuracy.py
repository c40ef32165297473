"""What bf16 inference costs in accuracy, on a trained network: top-1 agreement with float32.

Trains a small network with the course's trainer at the recorded experiments' settings
(``record.PAIR_DEFAULTS``: width 0.25, two modules per grid, 75 px, batch 32, TF-style RMSProp, on
Fashion-MNIST, fresh training images every epoch), then runs its float32 and its bf16
``fuse_for_inference`` copies on the first ``--test-images`` Fashion-MNIST test images through
:func:`inception_course.evaluation.precision_trade`: top-1 agreement, the largest probability
difference, each one's top-1 accuracy, and the float32 / bf16 time ratio (interleaved batch by batch).

bf16 rounding does not depend on the CPU (an emulated bf16 product rounds as a native one does), so
the accuracy figures hold on any machine; the time ratio is this machine's only (emulated bf16 is
*slower* than float32; ``inference_speed.py --dtype bfloat16`` times a CPU with native bf16).

    python benchmarks/bf16_accuracy.py --out benchmarks/results/cpu/bf16_accuracy.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe, provenance  # noqa: E402  (a script beside this one)

from inception_course.data import build_dataset  # noqa: E402
from inception_course.evaluation import precision_trade  # noqa: E402
from inception_course.evaluation.records import write_json_atomic  # noqa: E402
from inception_course.experiments.record import PAIR_DEFAULTS  # noqa: E402
from inception_course.training import TrainConfig, Trainer  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="inception_resnet_v1")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (default 2)")
    parser.add_argument("--train-images", type=int, default=PAIR_DEFAULTS["data_kwargs"]["train_images"],
                        help="fresh training images per epoch")
    parser.add_argument("--test-images", type=int, default=4000, help="labelled test images compared (default 4000)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--run", type=Path, default=None,
                        help="keep the training run in this folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=None, help="write the results with provenance to this JSON file")
    args = parser.parse_args(argv)
    if min(args.epochs, args.train_images, args.test_images, args.threads) < 1:
        parser.error("--epochs, --train-images, --test-images and --threads must be at least 1")
    return args


def train(args: argparse.Namespace, out: Path) -> tuple[torch.nn.Module, dict]:
    """The trained network and its last validation record (2,000 test images, as the recorder)."""
    settings = {k: v for k, v in PAIR_DEFAULTS.items() if k not in ("epochs", "data_kwargs", "data")}
    config = TrainConfig.from_preset(
        args.model, "fashion_mnist", out=str(out), device="cpu", epochs=args.epochs, aux_weights=(), num_workers=0,
        data_kwargs={**PAIR_DEFAULTS["data_kwargs"], "train_images": args.train_images}, **settings,
    )
    trainer = Trainer(config)
    history = trainer.fit()
    last_val = [record for record in history.records if record.get("kind") == "val"][-1]
    return trainer.model, last_val


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        model, last_val = train(args, args.run or Path(scratch) / "run")
    # As the trainer's validation set: 75 px, three channels, pixels in [-1, 1] (the data set's own transform).
    test_set = build_dataset("fashion_mnist", "val", image_size=PAIR_DEFAULTS["image_size"])
    trade = precision_trade(model, test_set, limit=args.test_images, batch_size=64)
    info = provenance(vars(args))
    print(f"# {describe(info['machine'])}, torch {info['torch']}")
    print(f"# {args.model} trained {args.epochs} epoch(s) on Fashion-MNIST; last validation: {last_val}")
    print(trade)
    if args.out is not None:
        record = {
            "provenance": info,
            "training": {**{k: v for k, v in PAIR_DEFAULTS.items() if k != "epochs"}, "model": args.model,
                         "epochs": args.epochs, "train_images_per_epoch": args.train_images, "last_val": last_val},
            "results": {**asdict(trade), "speedup": trade.speedup},
        }
        write_json_atomic(args.out, record)
        print(f"# wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
