"""Time the course's networks against the reference implementations of the same architecture.

For every pair (ours, theirs) - timm's inception_v3 / inception_v4 / inception_resnet_v2 and
torchvision's googlenet / inception_v3 - both models are built in this process with random weights,
checked to have the same number of parameters, warmed up, and then timed *interleaved*: each repeat
runs ours then theirs (the order swaps every repeat), so drifts in clock speed or in other load on
the machine hit both alike. The median over repeats is reported for

* ``forward``: eval mode, no gradients (inference);
* ``forward+backward``: train mode, ``output.sum().backward()`` (one training step without the
  optimiser).

``ratio = theirs / ours``: 1.0 or more means ours is at least as fast. Auxiliary classifiers are
off on both sides (``aux_logits=False``), since the references' defaults differ. On a shared CPU,
``--clock cpu --threads 1`` times the CPU work of this process instead of elapsed time, so that
other jobs on the machine blur the comparison much less.

    python benchmarks/model_speed.py --models inception_v4 --batch-size 4 --repeats 5
    python benchmarks/model_speed.py --device cuda --batch-size 64 --channels-last --amp --out speed.json
"""

from __future__ import annotations

import argparse
import datetime
import platform
import shlex
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402  (a script beside this one)

from inception_course import create_model  # noqa: E402
from inception_course.evaluation.records import write_json_atomic  # noqa: E402


def _timm(name: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import timm

        return timm.create_model(name, pretrained=False)

    return build


def _torchvision(name: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision

        return getattr(torchvision.models, name)(weights=None, aux_logits=False, init_weights=False)

    return build


#: our model name -> the references it is timed against (source, builder).
REFERENCES: dict[str, list[tuple[str, Callable[[], nn.Module]]]] = {
    "googlenet": [("torchvision", _torchvision("googlenet"))],
    "inception_v3": [("timm", _timm("inception_v3")), ("torchvision", _torchvision("inception_v3"))],
    "inception_v4": [("timm", _timm("inception_v4"))],
    "inception_resnet_v2": [("timm", _timm("inception_resnet_v2"))],
}
#: options that make ours the same network as the references (no auxiliary heads).
OUR_OPTIONS: dict[str, dict] = {"googlenet": {"aux_logits": False}, "inception_v3": {"aux_logits": False}}
MODES = ("forward", "forward+backward")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(REFERENCES), choices=list(REFERENCES), metavar="NAME",
                        help=f"models to time (default: all of {', '.join(REFERENCES)})")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=299, help="square input size in pixels (default 299)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per model and mode (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each model first (default 2)")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format for models and input")
    parser.add_argument("--amp", action="store_true", help="autocast: float16 on cuda, bfloat16 on cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU runs)")
    parser.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                        help="wall: elapsed time (default); cpu: this process's CPU time, which other jobs on a"
                             " shared machine disturb far less (CPU runs; use with --threads 1)")
    parser.add_argument("--out", type=Path, default=None, help="write the results with provenance to this JSON file")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda was given but torch sees no CUDA device; use --device cpu")
    for name in ("batch_size", "image_size", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.clock == "cpu" and args.device != "cpu":
        parser.error("--clock cpu measures CPU time, which says nothing about GPU work; use --clock wall")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more")
    return args


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU model (from /proc/cpuinfo where there is one) and thread count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu} ({torch.get_num_threads()} threads)"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_step(model: nn.Module, x: torch.Tensor, mode: str, amp: bool) -> Callable[[], None]:
    """One timed unit of work: a forward pass, or a forward and backward pass."""
    autocast = (
        torch.autocast(x.device.type, dtype=torch.float16 if x.device.type == "cuda" else torch.bfloat16)
        if amp else nullcontext()
    )
    if mode == "forward":
        model.eval()

        def step() -> None:
            with torch.no_grad(), autocast:
                model(x)
    else:
        model.train()

        def step() -> None:
            model.zero_grad(set_to_none=True)
            with autocast:
                out = model(x)
            out = out[0] if isinstance(out, (tuple, list)) else out
            out.float().sum().backward()

    return step


def time_pair(
    ours: Callable[[], None], theirs: Callable[[], None], args: argparse.Namespace, device: torch.device
) -> dict[str, list[float]]:
    """Seconds of each repeat of ``ours`` and ``theirs``, warmed up and then run alternately."""

    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    def timed(step: Callable[[], None]) -> float:
        _sync(device)
        start = clock()
        step()
        _sync(device)
        return clock() - start

    for _ in range(args.warmup):
        ours()
        theirs()
    times: dict[str, list[float]] = {"ours": [], "theirs": []}
    for repeat in range(args.repeats):
        order = [("ours", ours), ("theirs", theirs)]
        for key, step in order if repeat % 2 == 0 else order[::-1]:
            times[key].append(timed(step))
    return times


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def run(args: argparse.Namespace) -> list[dict]:
    device = torch.device(args.device)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    x = torch.randn(args.batch_size, 3, args.image_size, args.image_size, device=device)
    x = x.contiguous(memory_format=memory_format)
    results = []
    for name in args.models:
        ours = create_model(name, **OUR_OPTIONS.get(name, {})).to(device, memory_format=memory_format)
        for source, build in REFERENCES[name]:
            theirs = build().to(device, memory_format=memory_format)
            if count_parameters(ours) != count_parameters(theirs):
                print(f"warning: {name} has {count_parameters(ours):,} parameters, {source}'s "
                      f"{count_parameters(theirs):,}: not the same architecture", file=sys.stderr)
            for mode in args.modes:
                steps = (make_step(model, x, mode, args.amp) for model in (ours, theirs))
                times = time_pair(*steps, args, device)
                ours_ms, theirs_ms = ([1000 * t for t in times[key]] for key in ("ours", "theirs"))
                results.append({
                    "model": name, "reference": source, "mode": mode,
                    "ours_ms": statistics.median(ours_ms), "theirs_ms": statistics.median(theirs_ms),
                    "ratio": statistics.median(theirs_ms) / statistics.median(ours_ms),
                    "ours_repeats_ms": ours_ms, "theirs_repeats_ms": theirs_ms,  # the spread shows the noise
                })
                print(format_row(results[-1]), flush=True)
            del theirs
        del ours
    return results


HEADER = f"{'model':<20} {'reference':<12} {'mode':<17} {'ours ms':>9} {'theirs ms':>10} {'ratio':>6}"


def format_row(r: dict) -> str:
    return (f"{r['model']:<20} {r['reference']:<12} {r['mode']:<17} {r['ours_ms']:>9.1f} "
            f"{r['theirs_ms']:>10.1f} {r['ratio']:>6.2f}")


def provenance(args: argparse.Namespace) -> dict:
    import timm
    import torchvision

    return {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "device": device_name(torch.device(args.device)),
        "machine": machine(args.device),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "timm": timm.__version__,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    info = provenance(args)
    print(f"# {info['device']}, torch {info['torch']}, batch {args.batch_size}, {args.image_size} px, "
          f"median of {args.repeats} ({args.clock} clock){', channels-last' if args.channels_last else ''}"
          f"{', amp' if args.amp else ''}")
    print("# ratio = theirs / ours (>= 1.0: ours at least as fast)")
    print(HEADER)
    results = run(args)
    if args.out is not None:
        write_json_atomic(args.out, {"provenance": info, "results": results})
        print(f"# wrote {args.out}")


if __name__ == "__main__":
    main()
