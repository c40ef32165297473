"""Print recorded ``model_speed.py`` or ``inference_speed.py`` results as one markdown table (the
README's speed tables; both scripts write the same record layout).

    python benchmarks/report_speed.py benchmarks/results/cpu/*.json
    python benchmarks/report_speed.py benchmarks/results/cpu/inference/*.json

It first lists the machines the records ran on (CPU model, family/model, the ISA flags that decide
the kernels, threads; records made before ``machine.py`` say only the device name), then one row per
comparison with the median ratio and its range over the repeats, the date and torch version.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402  (a script beside this one)


def where(prov: dict) -> str:
    """The machine a record ran on: the full record where it has one (``machine.py``), else the
    bare device string older records kept (which does not say which kernels ran)."""
    if "machine" in prov:
        return describe(prov["machine"])
    return f"{prov['device']} (no CPU flags recorded)"


def ratio_range(result: dict) -> str:
    """The lowest and highest of the per-repeat ratios (theirs / ours, repeat by repeat)."""
    pairs = zip(result.get("theirs_repeats_ms", []), result.get("ours_repeats_ms", []))
    ratios = [theirs / ours for theirs, ours in pairs]
    return f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"


def rows(path: Path) -> list[str]:
    record = json.loads(path.read_text())
    prov = record["provenance"]
    settings = prov["settings"]
    size = f"batch {settings['batch_size']}, {settings['image_size']} px, {settings['clock']} clock"
    on = f"{prov['date'][:10]}, torch {prov['torch']}"
    return [
        f"| {r['model']} | {r['reference']} | {r['mode']} | {r['ours_ms']:.1f} | {r['theirs_ms']:.1f} "
        f"| {r['ratio']:.2f} | {ratio_range(r)} | {peak_shares(r)} | {size} | {on} |"
        for r in record["results"]
    ]


def peak_shares(result: dict) -> str:
    """Each side's achieved GFLOP/s as a share of the run's matmul peak (``inference_speed.py``), or -."""
    shares = [result.get(f"{side}_peak_fraction") for side in ("ours", "theirs")]
    return " / ".join(f"{share:.0%}" for share in shares) if None not in shares else "-"


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit("usage: python benchmarks/report_speed.py RESULT.json [...]")
    machines = sorted({where(json.loads(Path(p).read_text())["provenance"]) for p in paths})
    for line in machines:
        print(f"* measured on {line}")
    print()
    print("| model | reference | mode | ours (ms) | reference (ms) | ratio (median) | ratio range over repeats "
          "| share of matmul peak: ours / reference | settings | date, torch |")
    print("|---|---|---|---:|---:|---:|---|---|---|---|")
    for path in paths:
        print("\n".join(rows(Path(path))))


if __name__ == "__main__":
    main(sys.argv[1:])
