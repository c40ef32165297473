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

``--compile`` adds a row per pair: both sides through ``torch.compile`` (default inductor
backend), warmed up until compiled, then timed the same way. ``--ablate`` adds
``fuse_for_inference(model, merge_1x1=False)`` (the parallel 1x1 convs left apart) to the oneDNN
ablation: what each rewrite gains on this machine.

**At the hardware's limit?** The run first measures this core's matrix-product peak (the best of
several ``n x n`` products, in float32, and in bf16 where the CPU has native bf16), then prints
each side's achieved GFLOP/s (2 x the network's multiply-adds, counted
by ``inception_course.models.describe``, x batch / time) and its fraction of that peak.

**bf16** (``--dtype bfloat16``): rows for ``fuse_for_inference(model, dtype=torch.bfloat16)`` against
timm / torchvision in float32 channels-last, and against them under CPU bf16 autocast (the issue's
targets: 1.8x and 1.1x). Only a CPU with native bf16 (``avx512_bf16`` or AMX; the header says which
this is) gives figures worth quoting; elsewhere bf16 is emulated and slower than float32.

``--profile`` runs ``torch.profiler`` over one forward pass of each side (reference channels-last,
fused) and writes the ops by self CPU time to ``profile-<model>-<reference>.txt`` beside ``--out``.

    python benchmarks/inference_speed.py --models inception_v4 --batch-size 8 --repeats 5 --threads 1 \\
        --clock cpu --compile --out benchmarks/results/cpu/inference/inception_v4.json
    python benchmarks/report_speed.py benchmarks/results/cpu/inference/*.json
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe as describe_machine  # noqa: E402
from model_speed import OUR_OPTIONS, REFERENCES, format_row, provenance, time_pair  # noqa: E402

from inception_course import create_model  # noqa: E402
from inception_course.cpu import has_native_bf16  # noqa: E402
from inception_course.evaluation.records import write_json_atomic  # noqa: E402
from inception_course.models import convert_reference_state_dict, describe, fuse_for_inference  # noqa: E402

EAGER = "eval, fused vs channels-last"
ABLATION = "eval, fused without oneDNN 1x1 vs channels-last"
NO_MERGE = "eval, fused without merged 1x1s vs channels-last"
BF16_VS_FP32 = "eval, fused bf16 vs channels-last fp32"
BF16_VS_AUTOCAST = "eval, fused bf16 vs channels-last bf16 autocast"
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
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                        help="bfloat16: also time the bf16 fused copy against the references in fp32 and bf16 autocast")
    parser.add_argument("--ablate", action="store_true", help="also time the fused copy without merged 1x1s")
    parser.add_argument("--profile", action="store_true",
                        help="torch.profiler tables (ops by self CPU time) of both sides, beside --out")
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
    if args.dtype == "bfloat16" and args.bf16:
        parser.error("--bf16 (autocast on both sides) and --dtype bfloat16 (the bf16 fused copy) are two "
                     "questions: ask one")
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


def matmul_peak(dtype: torch.dtype, args: argparse.Namespace, n: int = 1024, repeats: int = 10) -> float:
    """GFLOP/s of the best of ``repeats`` ``n x n`` matrix products on this device (2 n^3 flops each)."""
    a, b = (torch.randn(n, n, device=args.device).to(dtype) for _ in range(2))
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        a @ b
        if a.device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, clock() - start)
    return 2 * n**3 / best / 1e9


def achieved(row: dict, flops_per_batch: float, peaks: dict[str, float], ours: str, theirs: str) -> dict:
    """``row`` plus each side's GFLOP/s and its fraction of the matmul peak of the dtype it computes in."""
    extra = {}
    for side, dtype in (("ours", ours), ("theirs", theirs)):
        gflops = flops_per_batch / (row[f"{side}_ms"] / 1000) / 1e9
        extra[f"{side}_gflops"] = gflops
        extra[f"{side}_dtype"] = dtype
        if dtype in peaks:
            extra[f"{side}_peak_fraction"] = gflops / peaks[dtype]
    return row | extra


def format_achieved(row: dict) -> str:
    parts = []
    for side in ("ours", "theirs"):
        fraction = row.get(f"{side}_peak_fraction")
        share = f" = {fraction:.0%} of the {row[f'{side}_dtype']} matmul peak" if fraction is not None else ""
        parts.append(f"{side} {row[f'{side}_gflops']:.1f} GFLOP/s ({row[f'{side}_dtype']}){share}")
    return "    " + "; ".join(parts)


def time_models(name: str, source: str, ours: nn.Module, theirs: nn.Module, mode: str,
                x: torch.Tensor, args: argparse.Namespace, theirs_bf16: bool | None = None) -> dict:
    """One row: ``ours`` and ``theirs`` timed interleaved; ``theirs_bf16`` puts theirs alone under autocast."""
    theirs_bf16 = args.bf16 if theirs_bf16 is None else theirs_bf16
    times = time_pair(forward_step(ours, x, args.bf16), forward_step(theirs, x, theirs_bf16), args, x.device)
    ours_ms, theirs_ms = ([1000 * t for t in times[key]] for key in ("ours", "theirs"))
    row = {
        "model": name, "reference": source, "mode": mode,
        "ours_ms": statistics.median(ours_ms), "theirs_ms": statistics.median(theirs_ms),
        "ratio": statistics.median(theirs_ms) / statistics.median(ours_ms),
        "ours_repeats_ms": ours_ms, "theirs_repeats_ms": theirs_ms,
    }
    print(format_row(row), flush=True)
    return row


def profile_pair(name: str, source: str, ours: nn.Module, theirs: nn.Module, x: torch.Tensor,
                 args: argparse.Namespace, rows: int = 25) -> Path:
    """One profiled forward pass of each side; the op tables, by self CPU time, in one text file."""
    folder = args.out.parent if args.out is not None else Path("benchmarks/results/cpu/inference")
    path = folder / f"profile-{name}-{source}.txt"
    sections = [f"# python {' '.join(sys.argv)}\n# one forward pass each, batch {args.batch_size}, "
                f"{args.image_size} px, ops by self CPU time\n"]
    for label, model in ((f"{source} channels-last", theirs), ("fused", ours)):
        with torch.no_grad():
            model(x)  # warm-up outside the profile
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
                model(x)
        table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)
        sections.append(f"## {name}: {label}\n{table}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sections))
    print(f"# wrote {path}")
    return path


def run(args: argparse.Namespace, peaks: dict[str, float]) -> list[dict]:
    device = torch.device(args.device)
    x = torch.randn(args.batch_size, 3, args.image_size, args.image_size, device=device)
    x = x.contiguous(memory_format=torch.channels_last)
    compute = "bfloat16" if args.bf16 else "float32"  # what both sides compute in, bar the bf16 rows
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
            flops = 2 * describe(model, args.image_size).total.macs * args.batch_size

            def row(mode: str, fused: nn.Module, ours_dtype: str = compute, theirs_bf16: bool | None = None,
                    reference: nn.Module = theirs) -> None:
                timed = time_models(name, source, fused, reference, mode, x, args, theirs_bf16)
                theirs_dtype = "bfloat16" if (args.bf16 if theirs_bf16 is None else theirs_bf16) else "float32"
                results.append(achieved(timed, flops, peaks, ours_dtype, theirs_dtype))
                print(format_achieved(results[-1]), flush=True)

            row(EAGER, ours)
            results[-1]["max_rel_diff"] = error
            row(ABLATION, fuse_for_inference(model, onednn_1x1=False))
            if args.ablate:
                row(NO_MERGE, fuse_for_inference(model, merge_1x1=False))
            if args.dtype == "bfloat16":
                half = fuse_for_inference(model, dtype=torch.bfloat16)
                row(BF16_VS_FP32, half, "bfloat16", theirs_bf16=False)
                row(BF16_VS_AUTOCAST, half, "bfloat16", theirs_bf16=True)
            if args.profile:
                profile_pair(name, source, ours, theirs, x, args)
            if args.compile:
                row(COMPILED, torch.compile(ours), reference=torch.compile(theirs))
            del theirs, ours
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    info = provenance(args)
    print(f"# {describe_machine(info['machine'])}, torch {info['torch']}, batch {args.batch_size}, "
          f"{args.image_size} px, median of {args.repeats} ({args.clock} clock), "
          f"channels-last{', bf16 autocast' if args.bf16 else ', fp32'}")
    if args.dtype == "bfloat16" and args.device == "cpu" and not has_native_bf16():
        print("# this CPU has no native bf16 (avx512_bf16 / AMX): bf16 is emulated, its times say nothing "
              "of a CPU that has it")
    # An emulated bf16 product has no peak worth comparing with (a generic kernel, ~1 GFLOP/s here).
    dtypes = ["float32"] + (["bfloat16"] if args.device == "cuda" or has_native_bf16() else [])
    peaks = {dtype: matmul_peak(getattr(torch, dtype), args) for dtype in dtypes}
    print("# matmul peak (best of 10 1024x1024 products): "
          + ", ".join(f"{dtype} {gflops:.1f} GFLOP/s" for dtype, gflops in peaks.items()))
    print("# ratio = theirs / ours (>= 1.0: ours at least as fast)")
    results = run(args, peaks)
    if args.out is not None:
        write_json_atomic(args.out, {"provenance": info, "matmul_peak_gflops": peaks, "results": results})
        print(f"# wrote {args.out}")


if __name__ == "__main__":
    main()
