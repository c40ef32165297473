"""bfloat16 or float32 inference: which one :func:`evaluate` and :func:`predict` use, and what it costs.

bf16 keeps float32's range but only 8 bits of mantissa, so a network's probabilities move a little
and, rarely, an image's top-1 class changes. In exchange a CPU with native bf16 dot products
(``avx512_bf16`` or Intel AMX) multiplies about twice as many numbers per second. A CPU without them
*emulates* bf16 through float32, which is slower than float32 itself. Hence the rule of
:func:`inference_dtype`: bf16 by default only on a CPU that has it natively (and says so in one
line), float32 elsewhere; ``bf16=True`` / ``bf16=False`` force either.

:func:`precision_trade` measures both sides of the trade on labelled images in one call: top-1
agreement of bf16 with float32, the largest probability difference, each one's top-1 accuracy, and
the float32 / bf16 time ratio measured in that same call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from .. import cpu
from ..models.fuse import fuse_for_inference
from ..models.pretrained import to_model_input


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


@dataclass
class PrecisionTrade:
    """What bf16 inference costs and gains against float32 on the same images (see :func:`precision_trade`).

    ``agreement``: fraction of images whose top-1 class is the same in both; ``max_prob_diff``: the
    largest difference of any class probability of any image; ``top1_*``: accuracy against the labels
    (fractions); ``*_seconds``: time of the timed passes (wall clock, interleaved batch by batch).
    """

    n_images: int
    agreement: float
    max_prob_diff: float
    top1_fp32: float
    top1_bf16: float
    fp32_seconds: float
    bf16_seconds: float
    native_bf16: bool | None  # None: not run on a CPU
    cpu: str

    @property
    def speedup(self) -> float:
        """float32 time / bf16 time: above 1, bf16 is faster."""
        return self.fp32_seconds / self.bf16_seconds

    def __str__(self) -> str:
        speed = (
            "not a CPU measurement" if self.native_bf16 is None else "this CPU has native bf16" if self.native_bf16 else
            "this CPU has no native bf16 (no avx512_bf16 or AMX): bf16 is emulated here, hence slower than "
            "float32; on a CPU with native bf16 it is the faster path"
        )
        return (
            f"{self.n_images} images: bf16 agrees with float32 on the top-1 class of {self.agreement:.2%}; "
            f"largest probability difference {self.max_prob_diff:.4f}\n"
            f"top-1 accuracy: float32 {self.top1_fp32:.2%}, bf16 {self.top1_bf16:.2%}\n"
            f"time: float32 {self.fp32_seconds:.2f} s, bf16 {self.bf16_seconds:.2f} s "
            f"(float32 / bf16 = {self.speedup:.2f}) on {self.cpu}: {speed}"
        )


@torch.no_grad()
def precision_trade(model: nn.Module, dataset: Dataset, limit: int = 512, batch_size: int = 32) -> PrecisionTrade:
    """Run the float32 and the bf16 fused copies of ``model`` on the first ``limit`` images of ``dataset``.

    ``dataset`` yields ``(image, label)`` with images ready for the network (e.g. built with
    ``transforms_for(name, size, train=False)``, pixels in [-1, 1]). The two copies take turns batch by
    batch (who goes first alternates), after one untimed warm-up batch each, so a change in the load of
    a shared machine hits both; the time ratio is measured in this call, on this machine.
    """
    if limit < 1 or batch_size < 1:
        raise ValueError(f"limit and batch_size must be at least 1, got {limit} and {batch_size}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    nets = {"fp32": fuse_for_inference(model), "bf16": fuse_for_inference(model, dtype=torch.bfloat16)}
    loader = DataLoader(Subset(dataset, range(min(limit, len(dataset)))), batch_size=batch_size)
    seconds = {"fp32": 0.0, "bf16": 0.0}
    probabilities: dict[str, list[torch.Tensor]] = {"fp32": [], "bf16": []}
    labels = []
    try:
        for index, (images, targets) in enumerate(loader):
            x = to_model_input(images.to(device), model).contiguous(memory_format=torch.channels_last)
            if index == 0:
                for net in nets.values():
                    net(x)  # warm-up: oneDNN builds its kernels on the first call
            for key in ("fp32", "bf16") if index % 2 == 0 else ("bf16", "fp32"):
                start = time.perf_counter()
                probabilities[key].append(nets[key](x).float().softmax(dim=1).cpu())
                seconds[key] += time.perf_counter() - start
            labels.append(torch.as_tensor(targets))
    finally:
        model.train(was_training)
    fp32, bf16, truth = torch.cat(probabilities["fp32"]), torch.cat(probabilities["bf16"]), torch.cat(labels)
    return PrecisionTrade(
        n_images=len(truth),
        agreement=float((fp32.argmax(1) == bf16.argmax(1)).float().mean()),
        max_prob_diff=float((fp32 - bf16).abs().max()),
        top1_fp32=float((fp32.argmax(1) == truth).float().mean()),
        top1_bf16=float((bf16.argmax(1) == truth).float().mean()),
        fp32_seconds=seconds["fp32"],
        bf16_seconds=seconds["bf16"],
        native_bf16=cpu.has_native_bf16() if device.type == "cpu" else None,
        cpu=cpu.describe_cpu() if device.type == "cpu" else str(device),
    )
