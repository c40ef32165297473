"""Print recorded ``model_speed.py`` or ``inference_speed.py`` results as one markdown table (the
README's speed tables; both scripts write the same record layout).

    python benchmarks/report_speed.py benchmarks/results/cpu/*.json
    python benchmarks/report_speed.py benchmarks/results/cpu/inference/*.json

Each row keeps the run's device, torch version and date, so a table pasted elsewhere still says where
its numbers came from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(path: Path) -> list[str]:
    record = json.loads(path.read_text())
    prov = record["provenance"]
    settings = prov["settings"]
    where = f"{prov['device']}, torch {prov['torch']}, {prov['date'][:10]}"
    size = f"batch {settings['batch_size']}, {settings['image_size']} px, {settings['clock']} clock"
    return [
        f"| {r['model']} | {r['reference']} | {r['mode']} | {r['ours_ms']:.1f} | {r['theirs_ms']:.1f} "
        f"| {r['ratio']:.2f} | {size} | {where} |"
        for r in record["results"]
    ]


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit("usage: python benchmarks/report_speed.py RESULT.json [...]")
    print("| model | reference | mode | ours (ms) | reference (ms) | ratio | settings | measured on |")
    print("|---|---|---|---:|---:|---:|---|---|")
    for path in paths:
        print("\n".join(rows(Path(path))))


if __name__ == "__main__":
    main(sys.argv[1:])
