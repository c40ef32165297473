"""Time each lesson notebook the way the grader runs it: a fresh kernel, fast mode, top to bottom.

    python tools/time_lessons.py lessons/[0-9]*.ipynb lessons/solutions/*.ipynb

Prints a Markdown table (notebook, seconds, how it ended) and the machine it ran on; the syllabus
in docs/teaching.md quotes its output. Each notebook runs as the grader runs it (a fresh sandboxed
process and kernel), and its time counts all of that: start-up, the hidden set-up cell, every cell.
Times depend on the machine and on what else runs on it, so quote them with the machine.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from inception_course.grade import PACKAGE  # noqa: E402 - after making the repository importable
from inception_course.grading.sandbox import Limits, course_hashes, run_submission  # noqa: E402


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    print(f"{cpu}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '1')}, fast mode\n")
    print("| notebook | seconds | ended |\n|---|---:|---|")
    hashes = course_hashes(PACKAGE)
    for path in map(Path, paths):
        run = run_submission(path.read_bytes(), path.name, Limits(timeout=1800), hashes, str(PACKAGE / "__init__.py"))
        print(f"| {path.as_posix()} | {run.seconds:.0f} | {run.stopped or 'every cell ran'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
