"""bfloat16 or float32 inference: which one :func:`evaluate` and :func:`predict` use, and what it costs.

bf16 keeps float32's range but only 8 significant bits, so a network's probabilities move a little
and, rarely, an image's top-1 class changes. In exchange a CPU with native bf16 dot products
(``avx512_bf16`` or Intel AMX) multiplies two to three times as fast (issue 19 measured about 198
against 72 GFLOP/s for a matrix product on one AVX-512 EPYC core). A CPU without them
*emulates* bf16 through float32, which is slower than float32 itself. Hence the rule of
:func:`inference_dtype`: bf16 by default only on a CPU that has it natively (and says so in one
line), float32 elsewhere; ``bf16=True`` / ``bf16=False`` force either.

:func:`~inception_course.evaluation.precision_trade` measures what the trade costs and gains.
"""

from __future__ import annotations

import torch

from .. import cpu


def inference_dtype(bf16: bool | None, device: torch.device | str) -> tuple[torch.dtype, str | None]:
    """The dtype the fused network computes in on ``device``, and one line saying so (``None``: float32
    as usual, nothing to say).

    ``bf16=None`` (the default of :func:`evaluate` and :func:`predict`) picks bf16 on a CPU with native
    bf16 (:func:`inception_course.cpu.has_native_bf16`) and float32 everywhere else; ``True`` and
    ``False`` force it.
    """
    if bf16 is not None and not isinstance(bf16, bool):
        raise ValueError(f"bf16 must be True, False or None (None: bf16 where the CPU has it natively), got {bf16!r}")
    device = torch.device(device)
    on_cpu = device.type == "cpu"
    native = on_cpu and cpu.has_native_bf16()
    if bf16 is False or (bf16 is None and not native):
        return torch.float32, None
    if not on_cpu:
        return torch.bfloat16, f"computing in bfloat16 on {device.type} (bf16=True); bf16=False computes in float32"
    if native:
        why = "this CPU multiplies bf16 natively" + (" (chosen automatically)" if bf16 is None else "")
        return torch.bfloat16, f"computing in bfloat16: {why}; bf16=False computes in float32"
    return torch.bfloat16, (
        "computing in bfloat16 (bf16=True) on a CPU without native bf16: it is emulated and slower than float32"
    )
