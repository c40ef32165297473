"""bf16 against float32 inference on the same labelled images: what the trade costs and gains.

bf16 keeps float32's range but only 8 significant bits, so a network's probabilities move a little
and, rarely, an image's top-1 class changes; on a CPU with native bf16 it runs faster, elsewhere it
is emulated and slower (see :mod:`~inception_course.evaluation.precision`). :func:`precision_trade`
measures both sides in one call: top-1 agreement of bf16 with float32, the largest probability
difference, each one's top-1 accuracy, and the float32 / bf16 time ratio measured in that same call.
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
from .crops import crops
from .evaluate import crop_settings


class _CentralCrops(Dataset):
    """Item ``i`` is ``(the single-crop view of image i, label)``: un-cropped images of any size in."""

    def __init__(self, dataset: Dataset, settings: dict) -> None:
        self.dataset, self.settings = dataset, settings

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.dataset[index]
        return crops(image, "single", **self.settings)[0], int(label)


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
def precision_trade(
    model: nn.Module, dataset: Dataset, limit: int = 512, batch_size: int = 32, crop_size: int | None = None
) -> PrecisionTrade:
    """Run the float32 and the bf16 fused copies of ``model`` on the first ``limit`` images of ``dataset``.

    ``dataset`` yields ``(image, label)``, pixels in [-1, 1]: images ready for the network (all of one
    size, e.g. built with ``transforms_for(name, size, train=False)``), or, with ``crop_size``,
    un-cropped images of any size (as :func:`evaluate` takes them), cut to their single central
    crop of that size. The two copies take turns batch by
    batch (who goes first alternates), after one untimed warm-up batch each, so a change in the load of
    a shared machine hits both; the time ratio is measured in this call, on this machine.
    """
    if limit < 1 or batch_size < 1:
        raise ValueError(f"limit and batch_size must be at least 1, got {limit} and {batch_size}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    nets = {"fp32": fuse_for_inference(model), "bf16": fuse_for_inference(model, dtype=torch.bfloat16)}
    if crop_size is not None:
        dataset = _CentralCrops(dataset, crop_settings(model, crop_size))
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
