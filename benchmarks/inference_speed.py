"""Inference speed: ``fuse_for_inference`` (ours) against the reference networks at their best.

The reference side is what a timm / torchvision user does by hand for fast inference: eval mode,
no gradients, model and input in channels-last. Ours is ``fuse_for_inference(model)`` (batch norm
folded, parallel 1x1 convs merged, channels-last, 1x1 convs on oneDNN); a second row,
``fuse_for_inference(model, onednn_1x1=False)``, shows what folding and merging gain without the
oneDNN 1x1 convs (single-threaded CPU PyTorch runs small-batch 1x1 convs on a slower kernel, so
there that choice counts for much of the gain). Both are built here with
random weights; the outputs are checked to agree (same weights, loaded through
``convert_reference_state_dict``) before anything is timed. Timing reuses ``model_speed.py``:
warm-up, then ours and theirs alternately (the order swaps every repeat), median of the repeats.

``--compile`` adds a second row per pair: both sides through ``torch.compile`` (default inductor
backend), warmed up until compiled, then timed the same way.

    python benchmarks/inference_speed.py --models inception_v4 --batch-size 8 --repeats 5 --threads 1 \\
        --clock cpu --compile --out benchmarks/results/cpu/inference/inception_v4.json
    python benchmarks/report_speed.py benchmarks/results/cpu/inference/*.json
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model_speed import OUR_OPTIONS, REFERENCES, format_row, provenance, time_pair  # noqa: E402

from inception_course import create_model  # noqa: E402
from inception_course.evaluation.records import write_json_atomic  # noqa: E402
from inception_course.models import convert_reference_state_dict, fuse_for_inference  # noqa: E402

EAGER = "eval, fused vs channels-last"
ABLATION = "eval, fused without oneDNN 1x1 vs channels-last"
COMPILED = "torch.compile, both"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(REFERENCES), choices=list(REFERENCES), metavar="NAME",
                        help=f"models to time (default: all of {', '.join(REFERENCES)})")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=299)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per pair (median reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each model first (default 1)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast on both sides (GPU runs)")
    parser.add_argument("--compile", action="store_true", help="also time both sides under torch.compile")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU runs)")
    parser.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                        help="wall: elapsed time; cpu: this process's CPU time (shared CPU, with --threads 1)")
    parser.add_argument("--out", type=Path, default=None, help="write the results with provenance to this JSON file")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda was given but torch sees no CUDA device; use --device cpu")
    if args.clock == "cpu" and args.device != "cpu":
        parser.error("--clock cpu measures CPU time, which says nothing about GPU work; use --clock wall")
    if min(args.batch_size, args.image_size, args.repeats) < 1 or args.warmup < 0:
        parser.error("--batch-size, --image-size and --repeats must be at least 1, --warmup at least 0")
    # model_speed's provenance() records these settings; say what this script compares.
    args.channels_last, args.amp = True, args.bf16
    return args


def forward_step(model: nn.Module, x: torch.Tensor, bf16: bool) -> Callable[[], None]:
    def step() -> None:
        with torch.no_grad(), torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
            model(x)

    return step


def he_init_(model: nn.Module) -> nn.Module:
    """He-scaled random weights, so that the signal survives ~100 layers and the outputs compared by
    :func:`same_function` depend on every layer (with the libraries' default init the features of a
    deep Inception fade to ~1e-9 and any two networks agree)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.normal_(0.0, (2.0 / module.weight[0].numel()) ** 0.5)
    return model


def same_function(ours: nn.Module, theirs: nn.Module, x: torch.Tensor) -> float:
    """Largest difference between the two networks' logits, relative to the largest logit."""
    with torch.no_grad():
        a, b = ours(x[:2]), theirs(x[:2])
    return float((a - b).abs().max() / b.abs().max())


def time_models(name: str, source: str, ours: nn.Module, theirs: nn.Module, mode: str,
                x: torch.Tensor, args: argparse.Namespace) -> dict:
    steps = (forward_step(model, x, args.bf16) for model in (ours, theirs))
    times = time_pair(*steps, args, x.device)
    ours_ms, theirs_ms = ([1000 * t for t in times[key]] for key in ("ours", "theirs"))
    row = {
        "model": name, "reference": source, "mode": mode,
        "ours_ms": statistics.median(ours_ms), "theirs_ms": statistics.median(theirs_ms),
        "ratio": statistics.median(theirs_ms) / statistics.median(ours_ms),
        "ours_repeats_ms": ours_ms, "theirs_repeats_ms": theirs_ms,
    }
    print(format_row(row), flush=True)
    return row


def run(args: argparse.Namespace) -> list[dict]:
    device = torch.device(args.device)
    x = torch.randn(args.batch_size, 3, args.image_size, args.image_size, device=device)
    x = x.contiguous(memory_format=torch.channels_last)
    results = []
    for name in args.models:
        for source, build in REFERENCES[name]:
            theirs = he_init_(build()).eval().to(device, memory_format=torch.channels_last)
            model = create_model(name, **OUR_OPTIONS.get(name, {}))
            model.load_state_dict(convert_reference_state_dict(name, theirs.state_dict(), source))
            ours = fuse_for_inference(model.eval().to(device))
            error = same_function(ours, theirs, x)
            if error > 1e-4:
                raise SystemExit(f"{name}: fused output differs from {source}'s by {error:.1e}: not the same function")
            results.append(time_models(name, source, ours, theirs, EAGER, x, args) | {"max_rel_diff": error})
            plain_1x1 = fuse_for_inference(model, onednn_1x1=False)
            results.append(time_models(name, source, plain_1x1, theirs, ABLATION, x, args))
            if args.compile:
                fast, ref = torch.compile(ours), torch.compile(theirs)
                results.append(time_models(name, source, fast, ref, COMPILED, x, args))
            del theirs, ours, plain_1x1
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    info = provenance(args)
    print(f"# {info['device']}, torch {info['torch']}, batch {args.batch_size}, {args.image_size} px, median of "
          f"{args.repeats} ({args.clock} clock), channels-last{', bf16' if args.bf16 else ', fp32'}")
    print("# ratio = theirs / ours (>= 1.0: ours at least as fast)")
    results = run(args)
    if args.out is not None:
        write_json_atomic(args.out, {"provenance": info, "results": results})
        print(f"# wrote {args.out}")


if __name__ == "__main__":
    main()
