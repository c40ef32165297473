"""What this CPU is, as far as speed is concerned.

Two CPUs that both say "AMD EPYC" can differ by 2x on the same network: the instruction-set
features decide which kernels oneDNN and PyTorch run (AVX2 or AVX-512 for fp32; native bf16 dot
products with ``avx512_bf16`` or Intel AMX, else bf16 emulated through fp32, usually *slower* than
fp32). So every benchmark records :func:`cpu_info`, and the bf16 inference path is used by default
only where :func:`has_native_bf16` says the CPU computes in bf16 itself.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

import torch

#: The ``/proc/cpuinfo`` flags that decide the kernels of fp32 and bf16 convolutions and matmuls.
KERNEL_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")
#: Any one of these means bf16 dot products run natively (AVX-512 BF16, or Intel AMX tiles).
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def _cpuinfo(path: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """The first processor's ``key: value`` lines of ``/proc/cpuinfo`` ({} where there is none)."""
    fields: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        if not line.strip():
            break  # the end of the first processor
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``; empty elsewhere)."""
    return set(_cpuinfo().get("flags", "").split())


def has_native_bf16() -> bool:
    """True when this CPU multiplies bf16 natively (``avx512_bf16`` or ``amx_bf16``): only there is
    bf16 inference faster than fp32. Elsewhere oneDNN emulates it."""
    return any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def _onednn_version() -> str | None:
    """oneDNN's version as torch's build report names it (``"v3.12.0"``), or ``None``."""
    found = re.search(r"(?:MKL-DNN|oneDNN) (v[\d.]+)", torch.__config__.show())
    return found.group(1) if found else None


def cpu_info() -> dict[str, Any]:
    """Where a CPU measurement ran: model name, vendor family/model, the kernel-deciding flags,
    cores, threads, and the torch / oneDNN versions and kernel level torch picked."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    return {
        "cpu": info.get("model name") or platform.processor() or platform.machine(),
        "vendor": info.get("vendor_id"),
        "family": info.get("cpu family"),
        "model": info.get("model"),
        "flags": {flag: flag in flags for flag in KERNEL_FLAGS},
        "native_bf16": any(flag in flags for flag in NATIVE_BF16_FLAGS),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "onednn": _onednn_version(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def describe_cpu(info: dict[str, Any] | None = None) -> str:
    """One line, e.g. ``AMD EPYC (family 25 model 1; avx2, fma; no native bf16), 1 of 2 cores``."""
    info = info or cpu_info()
    flags = ", ".join(flag for flag, present in info["flags"].items() if present) or "no listed flags"
    bf16 = "native bf16" if info["native_bf16"] else "no native bf16"
    return (
        f"{info['cpu']} (family {info['family']} model {info['model']}; {flags}; {bf16}),"
        f" {info['torch_threads']} thread(s) of {info['cores']} cores"
    )
