"""Evaluate a network (or an :class:`~inception_course.evaluation.Ensemble`) the way the paper did.

Every image is cut into the views of a crop scheme (:func:`~inception_course.evaluation.crops`),
the views run through the network in batches on the device (under autocast on a GPU), and the
softmax outputs of one image's views are averaged before its top-k counts are taken.

Un-cropped images
-----------------
Multi-crop schemes need the *whole* image, so the data set must not crop or resize: build it with
``transform=raw_image_transform()`` (pixels to [-1, 1], nothing else), or simply call
:func:`evaluation_dataset`. The ``"single"`` scheme then does the usual resize + central crop
itself, so one data set serves all three schemes. Images of different sizes are fine: views are cut
per image, and all views have the same size.

Speed
-----
By default the views go through ``fuse_for_inference(model)`` (batch norm folded, parallel 1x1
convs merged, channels-last; the same outputs up to float rounding), made once per call;
``fuse=False`` runs ``model`` itself. On a CPU with native bf16 (``avx512_bf16`` or AMX) the fused copy
computes in bfloat16 and one line says so (``bf16=False``: float32; ``bf16=True`` forces bf16
anywhere; see :mod:`~inception_course.evaluation.precision` for the rule and its accuracy cost). Views are batched *across* images: a 144-crop image does not
end in a short batch of its own, every forward pass but the last gets ``batch_size`` views.

Long runs
---------
``limit=N`` evaluates the first N images only. With ``resume_path``, the running counts are written
(atomically) to that JSON file after every batch; running the same call again continues from where
an interrupted run stopped (and a larger ``limit`` extends a finished one).
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import platform
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset
from torchvision.transforms import v2

from ..config import default_device
from ..data import build_dataset
from ..data.transforms import input_spec, to_signed_unit_range, to_uint8_tensor
from ..models.fuse import fuse_for_inference
from ..models.pretrained import to_model_input
from ..progress import progress_bar
from .crops import SCHEMES, crops
from .metrics import DEFAULT_KS, topk_correct
from .precision import inference_dtype
from .records import EvalResult, write_json_atomic

PARTIAL_FORMAT = "inception_course.evaluation.partial"


def raw_image_transform() -> v2.Transform:
    """PIL image or ``uint8`` tensor -> float ``(3, H, W)`` tensor in [-1, 1], *not* resized or cropped."""
    return v2.Compose([to_uint8_tensor(), to_signed_unit_range()])


def evaluation_dataset(
    name: str, split: str = "val", root: str | os.PathLike | None = None, **options: Any
) -> Dataset:
    """``build_dataset(name, split, ...)`` yielding un-cropped [-1, 1] images, ready for :func:`evaluate`."""
    return build_dataset(name, split, root=root, transform=raw_image_transform(), **options)


def crop_settings(model: nn.Module, crop_size: int | None = None) -> dict[str, Any]:
    """Crop size, crop fraction and resampling for ``model``: its ``default_image_size``, and the
    reference preprocessing of its weights (:func:`inception_course.data.transforms.input_spec`) when known."""
    name = (getattr(model, "pretrained_cfg", None) or {}).get("model")
    spec = input_spec(name)
    return {
        "crop_size": crop_size if crop_size is not None else getattr(model, "default_image_size", spec.image_size),
        "crop_fraction": spec.crop_fraction,
        "interpolation": spec.interpolation.value,
    }


def network_name(model: nn.Module) -> str:
    """A readable name: the registered name of loaded weights, the members of an ensemble, or the class."""
    cfg = getattr(model, "pretrained_cfg", None) or {}
    if "model" in cfg:
        return f"{cfg['model']} ({cfg['weights']})"
    members = getattr(model, "members", None)
    if members is not None:
        return " + ".join(network_name(member) for member in members)
    return type(model).__name__


class _Views(Dataset):
    """Wraps a data set of un-cropped images so that item ``i`` is ``(views of image i, label)``.

    Cutting views here lets DataLoader workers do it in parallel with the network.
    """

    def __init__(self, dataset: Dataset, scheme: str, settings: dict[str, Any]) -> None:
        self.dataset, self.scheme, self.settings = dataset, scheme, settings

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.dataset[index]
        if not isinstance(image, torch.Tensor):
            raise ValueError(
                f"evaluate() needs image tensors, the data set gave {type(image).__name__}: build it with "
                "transform=inception_course.evaluation.raw_image_transform() (see evaluation_dataset)"
            )
        return crops(image, self.scheme, **self.settings), int(label)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def _stack_views(items: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.cat([views for views, _ in items]), torch.tensor([label for _, label in items])


def _per_image_scores(
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    scores: Callable[[torch.Tensor], torch.Tensor],
    batch_size: int,
    n_views: int,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(softmax averaged over each image's views, labels)`` for the images completed so far.

    Views of consecutive images share forward passes: every pass but the very last runs
    ``batch_size`` views, so a 144-crop image does not end in a short pass of its own.
    """
    views = labels = probabilities = None
    for batch in itertools.chain(batches, [None]):  # None: the end, run what is left
        if batch is not None:
            views = batch[0] if views is None else torch.cat([views, batch[0]])
            labels = batch[1] if labels is None else torch.cat([labels, batch[1]])
        while views is not None and (len(views) >= batch_size or (batch is None and len(views))):
            out = scores(views[:batch_size])
            probabilities = out if probabilities is None else torch.cat([probabilities, out])
            views = views[batch_size:]
        complete = 0 if probabilities is None else len(probabilities) // n_views
        if complete:
            yield probabilities[: complete * n_views].view(complete, n_views, -1).mean(dim=1), labels[:complete]
            probabilities, labels = probabilities[complete * n_views :], labels[complete:]


def _load_partial(
    path: Path | None, settings: dict[str, Any], precision: dict[str, Any], ks: Sequence[int]
) -> tuple[int, dict[int, int]]:
    """``(images done, top-k counts)`` from an earlier run's partial file, or a fresh start. Counts made
    in another precision (bf16 or float32, autocast or not) are refused, not mixed with this call's; a
    file written before the precision was recorded is taken as it is."""
    if path is None or not path.exists():
        return 0, {k: 0 for k in ks}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("format") != PARTIAL_FORMAT:
            raise ValueError(f"format {state.get('format')!r}")
        done, correct = int(state["n_done"]), {int(k): int(v) for k, v in state["correct"].items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:  # unreadable, cut short, not ours
        raise ValueError(
            f"{path} is not a partial evaluation this function wrote ({type(error).__name__}: {error}): "
            "pass another resume_path, or delete the file to start over"
        ) from error
    if state.get("settings") != settings:
        raise ValueError(
            f"{path} holds a run with other settings ({state.get('settings')}) than this one ({settings}); "
            "pass another resume_path, or delete the file to start over"
        )
    saved = state.get("precision")
    if saved is not None and saved != precision:
        raise ValueError(
            f"{path} counted its images computing in {saved} and this call computes in {precision}: "
            "pass the same bf16= and amp= as the first call, another resume_path, or delete the file to start over"
        )
    return done, correct


def check_positive_int(value: Any, name: str, meaning: str) -> None:
    """Raise a ``ValueError`` naming ``name`` unless ``value`` is an ``int`` of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number ({meaning}), got {value!r}")


def _check_batch(probabilities: torch.Tensor, labels: torch.Tensor, first_index: int) -> None:
    """Refuse what would be counted silently as errors: labels the network cannot output (a
    network of other classes scores 100% error) and non-finite scores (a NaN is never in the top k)."""
    n_classes = probabilities.shape[1]
    bad = ((labels < 0) | (labels >= n_classes)).nonzero()
    if len(bad):
        index = int(bad[0])
        raise ValueError(
            f"image {first_index + index} of the data set has label {int(labels[index])}, but the network has "
            f"{n_classes} classes (labels 0 to {n_classes - 1}): evaluate it on a data set of its own classes"
        )
    not_finite = (~torch.isfinite(probabilities).all(dim=1)).nonzero()
    if len(not_finite):
        raise ValueError(
            f"image {first_index + int(not_finite[0])} of the data set got NaN or infinite scores: check its "
            "pixels (dataset[i]), or the network's weights if every image does"
        )


def _precision(
    bf16: bool | None, fuse: bool, amp: bool | None, device: torch.device
) -> tuple[torch.dtype, str | None]:
    """:func:`inference_dtype` for an evaluation: bf16 is the fused copy's, and autocast (``amp``) is the
    other way to bf16, so an explicit ``amp`` or ``fuse=False`` keeps the automatic choice at float32."""
    if bf16 and not fuse:
        raise ValueError("bf16=True computes fuse_for_inference's copy in bfloat16: leave fuse=True, or use amp=True")
    if bf16 and amp:
        raise ValueError("choose one of bf16=True (the fused copy in bfloat16) and amp=True (autocast)")
    return inference_dtype(False if bf16 is None and (not fuse or amp) else bf16, device)


def progress_label(name: str, scheme: str, width: int = 28) -> str:
    """A progress-bar label short enough not to wrap in a notebook: the name without its
    parenthesised remark, cut to ``width`` characters, then the scheme (e.g. ``"inception_v4 144-crop"``)."""
    short = name.split(" (")[0]
    short = short if len(short) <= width else short[: width - 1] + "…"
    return f"{short} {scheme}-crop"


@torch.no_grad()
def evaluate(
    model: nn.Module,
    dataset: Dataset,
    scheme: str = "single",
    batch_size: int = 64,
    device: str | torch.device | None = None,
    amp: bool | None = None,
    limit: int | None = None,
    resume_path: str | os.PathLike | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    crop_size: int | None = None,
    num_workers: int = 0,
    name: str | None = None,
    fuse: bool = True,
    bf16: bool | None = None,
) -> EvalResult:
    """Top-k counts of ``model`` over ``dataset`` (un-cropped [-1, 1] images) under a crop ``scheme``.

    Args:
        scheme: ``"single"``, ``"12"`` or ``"144"`` (see :mod:`~inception_course.evaluation.crops`).
        batch_size: views per forward pass; views of consecutive images share passes.
        device: default: CUDA, else MPS, else CPU (the model is moved there and left there).
        amp: autocast (float16 on CUDA, bfloat16 elsewhere); default: on with CUDA only (off with bf16=True).
        limit: evaluate the first ``limit`` images only.
        resume_path: a JSON file for the running counts; an interrupted call resumes from it.
        crop_size: default: the model's ``default_image_size``.
        num_workers: DataLoader worker processes that decode images and cut views.
        name: the network's name in tables (default: :func:`network_name`).
        fuse: run :func:`~inception_course.models.fuse_for_inference`'s copy of ``model`` (default).
        bf16: compute the fused copy in bfloat16; default: on a CPU with native bf16 only (said in one line).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown crop scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    check_positive_int(batch_size, "batch_size", "views per forward pass")
    if crop_size is not None:
        check_positive_int(crop_size, "crop_size", "the side of the square views in pixels; None: the model's")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a number of images, 0 or more (None: all), got {limit!r}")
    device = torch.device(device) if device is not None else default_device()
    dtype, precision_note = _precision(bf16, fuse, amp, device)
    amp = device.type == "cuda" and dtype == torch.float32 if amp is None else amp
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16  # CPUs autocast to bfloat16
    settings = crop_settings(model, crop_size)
    total = len(dataset) if limit is None else min(limit, len(dataset))
    name = name or network_name(model)
    run = {"network": name, "scheme": scheme, "dataset_size": len(dataset), **settings}
    resume_path = Path(resume_path) if resume_path is not None else None
    precision = {"dtype": str(dtype).removeprefix("torch."), "amp": amp}
    done, correct = _load_partial(resume_path, run, precision, ks)
    if done > total:
        raise ValueError(f"{resume_path} already counts {done} images, more than limit={limit}")

    was_training = model.training
    model.eval().to(device)
    net = fuse_for_inference(model, dtype=dtype) if fuse else model
    if precision_note:
        print(f"evaluate: {precision_note}")
    n_views = SCHEMES[scheme]
    loader = DataLoader(
        Subset(_Views(dataset, scheme, settings), range(done, total)),
        batch_size=max(1, batch_size // n_views),
        num_workers=num_workers,
        collate_fn=_stack_views,
        pin_memory=device.type == "cuda",
    )

    def scores(views: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
            return net(to_model_input(views, model)).float().softmax(dim=1)

    on_device = ((views.to(device, non_blocking=True), labels) for views, labels in loader)
    progress = progress_bar(total=total, initial=done, desc=progress_label(name, scheme), unit="img")
    try:
        for averaged, labels in _per_image_scores(on_device, scores, batch_size, n_views):
            _check_batch(averaged, labels, done)
            for k, count in topk_correct(averaged, labels, ks).items():
                correct[k] += count
            done += len(labels)
            progress.update(len(labels))
            if resume_path is not None:
                state = {"format": PARTIAL_FORMAT, "settings": run, "precision": precision, "n_done": done,
                         "correct": correct}
                write_json_atomic(resume_path, state)
    finally:
        progress.close()
        model.train(was_training)

    provenance = {
        **run,
        "device": str(device),
        "device_name": _device_name(device),
        **precision,
        "batch_size": batch_size,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "weights": (getattr(model, "pretrained_cfg", None) or {}).get("weights"),
    }
    return EvalResult(
        network=name,
        scheme=scheme,
        n_images=done,
        correct=correct,
        dataset=getattr(dataset, "name", None) or type(dataset).__name__,
        models=len(getattr(model, "members", [model])),
        provenance=provenance,
    )
