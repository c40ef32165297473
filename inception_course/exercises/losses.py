"""The training losses: the auxiliary classifiers' weighted sum (lesson 1) and label smoothing
(lesson 2).

* ``training_loss(outputs, labels, aux_weights)``: ``outputs`` is the logits, or in training mode
  ``(logits, aux1, ...)``; the loss is the main cross-entropy plus ``weight * cross-entropy`` of each
  auxiliary head (GoogLeNet 0.3 and 0.3, Inception-v3 0.4). The checker compares with the trainer's
  own loss (:meth:`inception_course.training.Trainer._loss`) for several weight sets.
* ``smoothed_cross_entropy(logits, labels, smoothing)``: Inception-v3's label-smoothing
  regulariser, the target ``(1 - eps) * one_hot + eps / K``; the checker compares with the
  trainer's criterion, ``nn.CrossEntropyLoss(label_smoothing=eps)``, and refuses a function that
  hands the smoothing to PyTorch.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ..training.presets import MODEL_PRESETS
from ..training.trainer import Trainer
from .compare import run, shape_of
from .authorship import refuse_library
from .result import Report, checker

TOLERANCE = 1e-5


def reference_loss(outputs: Any, labels: torch.Tensor, aux_weights: tuple[float, ...], smoothing: float = 0.0) -> torch.Tensor:
    """The trainer's loss for ``outputs`` (its ``_loss`` with a criterion and weights of our choice)."""
    trainer = SimpleNamespace(
        criterion=nn.CrossEntropyLoss(label_smoothing=smoothing), config=SimpleNamespace(aux_weights=aux_weights)
    )
    return Trainer._loss(trainer, outputs, labels)  # noqa: SLF001 - the library's own code, not a copy


def _aux_cases() -> list[tuple[str, Any, torch.Tensor, tuple[float, ...]]]:
    generator = torch.Generator().manual_seed(0)

    def logits(n: int, classes: int) -> torch.Tensor:
        return torch.randn(n, classes, generator=generator) * 2

    labels4, labels6 = torch.tensor([1, 0, 3, 2]), torch.tensor([4, 4, 0, 1, 2, 3])
    googlenet, v3 = MODEL_PRESETS["googlenet"]["aux_weights"], MODEL_PRESETS["inception_v3"]["aux_weights"]
    return [
        (f"GoogLeNet (weights {googlenet})", (logits(4, 5), logits(4, 5), logits(4, 5)), labels4, googlenet),
        (f"Inception-v3 (weights {v3})", (logits(6, 5), logits(6, 5)), labels6, v3),
        ("no auxiliary head (eval mode: a plain tensor, weights ())", logits(6, 5), labels6, ()),
        ("two heads with unequal weights (0.5, 0.1)", (logits(4, 5), logits(4, 5), logits(4, 5)), labels4, (0.5, 0.1)),
    ]


def _aux_slips(outputs: Any, labels: torch.Tensor, weights: tuple[float, ...]) -> dict[str, torch.Tensor]:
    """Wrong totals a student may compute, each with the advice that fixes it."""
    if not isinstance(outputs, tuple):
        return {}
    ce = [F.cross_entropy(o, labels) for o in outputs]
    slips = {
        "the auxiliary losses are added without their weights: multiply each by its weight (0.3 for GoogLeNet)":
            sum(ce),
        "only the main classifier's loss: add weight * loss of every auxiliary output": ce[0],
        "the losses are averaged; the total is the main loss plus the weighted auxiliary losses, not a mean":
            sum(ce) / len(ce),
        "the main loss is weighted too; it counts in full, only the auxiliary losses are weighted":
            sum(w * c for w, c in zip((weights[0], *weights), ce)) if weights else ce[0],
    }
    if len(weights) > 1:
        slips["the weights are used in the wrong order (or always the first one): pair weight i with output i + 1"] = (
            ce[0] + sum(weights[0] * c for c in ce[1:])
        )
    return slips


@checker("Exercise: the training loss with auxiliary classifiers")
def check_aux_loss(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(outputs, labels, aux_weights)`` -> the main loss plus the weighted auxiliary losses."""
    if not callable(student_fn):
        report.fail(f"expected a function training_loss(outputs, labels, aux_weights), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="add up the cross-entropies yourself"):
        return
    for name, outputs, labels, weights in _aux_cases():
        expected = reference_loss(outputs, labels, weights)
        answer, error = run(student_fn, outputs, labels, weights)
        if error is not None:
            report.fail(f"{name}: training_loss raised {error}")
            return
        if not isinstance(answer, torch.Tensor) or answer.numel() != 1:
            report.fail(f"{name}: return the loss as a one-number tensor (so that .backward() works), got {shape_of(answer)}")
            return
        if abs(answer.item() - expected.item()) > TOLERANCE:
            advice = next((w for w, v in _aux_slips(outputs, labels, weights).items() if abs(v.item() - answer.item()) <= TOLERANCE), None)
            report.fail(f"{name}: yours {answer.item():.5f}, expected {expected.item():.5f}: " + (
                advice or "main cross-entropy + sum of weight * cross-entropy of each auxiliary output"))
            return
        report.ok(f"{name}: {expected.item():.4f}")


@contextlib.contextmanager
def _smoothing_tripwire() -> Iterator[None]:
    """Make PyTorch's cross-entropy raise the tripwire when asked to smooth labels."""
    original = torch._C._nn.cross_entropy_loss  # noqa: SLF001

    def guarded(*args: Any, **kwargs: Any) -> Any:
        smoothing = kwargs.get("label_smoothing", args[5] if len(args) > 5 else 0.0)
        if smoothing:
            raise LookupError("inception_course exercise tripwire: label_smoothing handed to PyTorch")
        return original(*args, **kwargs)

    torch._C._nn.cross_entropy_loss = guarded  # noqa: SLF001
    try:
        yield
    finally:
        torch._C._nn.cross_entropy_loss = original  # noqa: SLF001


def _smoothing_cases() -> list[tuple[torch.Tensor, torch.Tensor, float]]:
    generator = torch.Generator().manual_seed(0)
    cases = []
    for n, classes, smoothing in ((8, 10, 0.1), (5, 1000, 0.1), (6, 3, 0.2), (4, 10, 0.0), (7, 4, 0.5)):
        logits = torch.randn(n, classes, generator=generator) * 3
        cases.append((logits, torch.randint(classes, (n,), generator=generator), smoothing))
    return cases


def _smoothing_slips(logits: torch.Tensor, labels: torch.Tensor, eps: float) -> dict[str, float]:
    log_p = logits.log_softmax(dim=1)
    classes = logits.shape[1]
    one_hot = F.one_hot(labels, classes).float()
    others = (1 - eps) * one_hot + eps / max(classes - 1, 1) * (1 - one_hot)
    return {
        "the smoothing mass is spread over the K - 1 wrong classes only; spread eps / K over all K classes,"
        " the true one included": -(others * log_p).sum(1).mean().item(),
        "the loss is summed over the batch; take the mean over the examples": F.cross_entropy(logits, labels, reduction="sum").item()
        * (1 - eps) + eps * -(log_p.mean(1)).sum().item(),
        "no smoothing is applied: mix the one-hot target with the uniform distribution, (1 - eps) * one_hot + eps / K":
            F.cross_entropy(logits, labels).item(),
        "the target keeps its full weight 1 on the true class; it should be (1 - eps) * one_hot + eps / K":
            -((one_hot + eps / classes) * log_p).sum(1).mean().item(),
        "the smoothing 0.1 is typed in: use the smoothing argument": nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels).item(),
    }


@checker("Exercise: label smoothing")
def check_label_smoothing(report: Report, student_fn: Any) -> None:
    """Check ``student_fn(logits, labels, smoothing)`` -> the label-smoothed cross-entropy (a mean)."""
    if not callable(student_fn):
        report.fail(f"expected a function smoothed_cross_entropy(logits, labels, smoothing), got {type(student_fn).__name__}")
        return
    if refuse_library(report, student_fn, forbidden=("inception_course",), write_instead="build the smoothed target yourself"):
        return
    for logits, labels, eps in _smoothing_cases():
        expected = nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels).item()
        case = f"{logits.shape[0]} examples, {logits.shape[1]} classes, smoothing {eps}"
        with _smoothing_tripwire():
            answer, error = run(student_fn, logits.clone(), labels.clone(), eps)
        if error is not None and "exercise tripwire" in error:
            report.fail("your function passes label_smoothing to PyTorch's cross-entropy: build the smoothed target yourself")
            return
        if error is not None:
            report.fail(f"{case}: smoothed_cross_entropy raised {error}")
            return
        if not isinstance(answer, torch.Tensor) or answer.numel() != 1:
            report.fail(f"{case}: return the loss as a one-number tensor, got {shape_of(answer)}")
            return
        if abs(answer.item() - expected) > TOLERANCE:
            advice = next((w for w, v in _smoothing_slips(logits, labels, eps).items() if abs(v - answer.item()) <= TOLERANCE), None)
            report.fail(f"{case}: yours {answer.item():.5f}, expected {expected:.5f}: " + (
                advice or "the loss is -sum(target * log_softmax(logits)) averaged over the batch, with target ="
                " (1 - eps) * one_hot + eps / K"))
            return
        report.ok(f"{case}: {expected:.4f}")
