"""Where a benchmark ran: every benchmark's JSON stores :func:`machine` under ``"machine"``.

The CPU's model name alone does not say which kernels ran (two "AMD EPYC" can differ by 2x), so
the record holds the vendor family/model, the instruction-set flags that decide oneDNN's kernels
(see ``inception_course/cpu.py``), cores, threads and the torch / oneDNN versions; on a GPU also
its name.
"""

from __future__ import annotations

import datetime
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

import torch

from inception_course.cpu import cpu_info, describe_cpu


def machine(device: torch.device | str = "cpu") -> dict[str, Any]:
    """The machine record: :func:`~inception_course.cpu.cpu_info` plus the GPU and Python."""
    device = torch.device(device)
    record = {**cpu_info(), "python": platform.python_version(), "platform": platform.platform()}
    if device.type == "cuda":
        record["gpu"] = torch.cuda.get_device_name(device)
        record["cuda"] = torch.version.cuda
    return record


def describe(record: dict[str, Any]) -> str:
    """One line naming the machine of a ``machine()`` record (GPU first where there is one)."""
    cpu = describe_cpu(record)
    return f"{record['gpu']} (CPU: {cpu})" if record.get("gpu") else cpu


def provenance(settings: dict[str, Any], device: torch.device | str = "cpu") -> dict[str, Any]:
    """Command, machine, versions, date and settings: the header of every benchmark JSON."""
    return {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(device),
        "torch": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.items()},
    }
