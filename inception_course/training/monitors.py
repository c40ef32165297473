"""Watching a run for the failures the paper describes, without slowing it down.

* :class:`NonFiniteLossGuard` remembers, on the device, the first step whose loss was NaN or
  infinite; the trainer reads it only at logging intervals and before every checkpoint (reading a
  GPU value forces a host-device synchronisation), so no checkpoint is ever written from a state
  after the loss broke. (The trainer also checks the weights themselves before writing: an update
  can blow them up while the loss it came from was still finite.)
* :class:`ZeroActivationMonitor` measures the fraction of exactly-zero values in the last feature
  map, the input of the final average pooling. The paper saw wide residual networks "die": that
  layer started to output only zeros. A rising fraction is the early sign.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; the message names the step."""


class TrainingOutOfMemoryError(RuntimeError):
    """CUDA ran out of memory; the message suggests settings that fit."""


class NonFiniteLossGuard:
    """Tracks the first optimiser step with a non-finite loss, as a device tensor (no sync), and
    the mean loss since the last checkpoint (for :func:`diverging`)."""

    def __init__(self, device: torch.device) -> None:
        self.first_bad_step = torch.tensor(-1, device=device)
        self._loss_sum = torch.zeros((), device=device)
        self._loss_count = 0

    def update(self, loss: torch.Tensor, step: int) -> None:
        self._loss_sum += loss.detach().float()
        self._loss_count += 1
        bad = ~torch.isfinite(loss.detach())
        first = bad & (self.first_bad_step < 0)
        self.first_bad_step = torch.where(first, torch.full_like(self.first_bad_step, step), self.first_bad_step)

    def first_bad(self) -> int | None:
        """The first step whose loss was not finite, or ``None`` (synchronises)."""
        step = int(self.first_bad_step)
        return step if step >= 0 else None


    def take_mean_loss(self) -> float | None:
        """The mean loss since the previous call (synchronises), or ``None`` if there was none."""
        if not self._loss_count:
            return None
        mean = float(self._loss_sum) / self._loss_count
        self._loss_sum.zero_()
        self._loss_count = 0
        return mean


#: After a NaN, a checkpoint counts as already diverging when its training loss is this many times
#: the lowest of the run's earlier checkpoints, or its weight norm this many times the previous one's.
LOSS_RISE = 1.5
NORM_RISE = 1.5


def weight_norm(model: nn.Module) -> float:
    """The L2 norm of all of ``model``'s parameters together (synchronises)."""
    norms = [p.detach().float().norm() for p in model.parameters()]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


def diverging(health: dict, earlier: list[dict]) -> str | None:
    """Why the checkpoint with ``health`` (``{"loss", "weight_norm"}``) was already on its way to
    the NaN, judged against the run's own ``earlier`` checkpoints, or ``None``.

    Used only after a NaN, to pick the checkpoint a lower learning rate can continue from: a
    checkpoint can hold finite weights that diverge (the loss far above the run's best, the weights
    growing fast), and resuming from it meets the NaN again whatever the learning rate."""
    losses = [h["loss"] for h in earlier if h.get("loss") is not None]
    if health.get("loss") is not None and losses and health["loss"] > LOSS_RISE * min(losses):
        return f"its training loss {health['loss']:.3g} is over {LOSS_RISE}x the run's best {min(losses):.3g}"
    if earlier and health["weight_norm"] > NORM_RISE * earlier[-1]["weight_norm"]:
        return (f"its weight norm grew from {earlier[-1]['weight_norm']:.3g} to {health['weight_norm']:.3g} since the"
                " checkpoint before")
    return None


def non_finite_message(what: str, epoch: int, last_good: str | None, detail: str = "") -> str:
    """One line: what broke, the last good checkpoint (every checkpoint is checked finite before it
    is written), and how to go on from it."""
    if last_good:
        kept = (
            f"the last good checkpoint is {last_good}. Resume from it with a lower learning rate"
            " (--resume --lr ...: a resumed run may change its learning rate, schedule and clipping),"
        )
    else:
        kept = "no good checkpoint is kept. Start again with a lower learning rate (--lr),"
    return (
        f"{what} (epoch {epoch + 1}){detail}; stopped without saving that state, and {kept} keep gradient clipping on"
        " (--clip-grad-norm 2.0), or use bf16 instead of fp16; for Inception-ResNet, scale the residuals down"
        " (model option residual_scale 0.1-0.3)."
    )


class ZeroActivationMonitor:
    """Fraction of exactly-zero activations entering ``model.global_pool`` (every
    ``InceptionNet`` average-pools its last feature map there).

    A forward pre-hook on that module sees the feature map without a second forward pass. It
    measures only when :meth:`arm` was called, i.e. on the steps that get logged.
    """

    def __init__(self, model: nn.Module, threshold: float = 0.9) -> None:
        pool = getattr(model, "global_pool", None)
        if not isinstance(pool, nn.Module):
            raise ValueError(f"{type(model).__name__} has no global_pool module to watch")
        self.threshold = threshold
        self.value: torch.Tensor | None = None
        self._armed = False
        self._warned = False
        self._handle = pool.register_forward_pre_hook(self._measure)

    def _measure(self, module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        if self._armed and module.training:
            self.value = (inputs[0].detach() == 0).float().mean()
            self._armed = False

    def arm(self) -> None:
        """Measure during the next training forward pass."""
        self._armed = True

    def read(self, step: int) -> float | None:
        """The last measurement as a float (synchronises); warns once per crossing of the threshold."""
        if self.value is None:
            return None
        fraction = float(self.value)
        if fraction >= self.threshold and not self._warned:
            warnings.warn(
                f"step {step}: {fraction:.1%} of the activations before the final average pooling are exactly"
                f" zero (warning threshold {self.threshold:.0%}): the network may be dying. Scale the residuals"
                " down (residual_scale 0.1-0.3) or lower the learning rate.",
                RuntimeWarning,
                stacklevel=2,
            )
        self._warned = fraction >= self.threshold
        return fraction

    def remove(self) -> None:
        self._handle.remove()


def out_of_memory_message(batch_size: int, accum_steps: int, image_size: int, model: str, precision: str) -> str:
    """What to change after CUDA ran out of memory, keeping the effective batch where possible."""
    smaller = max(1, batch_size // 2)
    lines = [
        f"CUDA ran out of memory training {model} at {image_size} px with batch size {batch_size}.",
        f"Use a smaller batch: --batch-size {smaller}",
    ]
    if smaller < batch_size:
        lines.append(
            f"or keep the same effective batch (and learning rate) with gradient accumulation:"
            f" --batch-size {smaller} --accum-steps {accum_steps * batch_size // smaller}"
        )
    if precision == "fp32":
        lines.append("Mixed precision (--precision bf16, or fp16 on older GPUs) also halves activation memory.")
    return "\n".join(lines)
