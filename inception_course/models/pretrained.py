"""Published ImageNet weights on the course's modules: ``create_model(name, pretrained=True)``.

Nobody publishes weights for our modules; Google's TF-slim checkpoints (and torchvision's ports of
GoogLeNet and Inception-v3) were re-saved for timm and torchvision. :func:`load_pretrained` fetches
such a state dict, renames it with :func:`~inception_course.models.convert_reference_state_dict`,
and loads it **strictly** into a freshly built network, so a missing or left-over tensor is an error
rather than a silently random layer. ``docs/pretrained.md`` tabulates the weights and their
published accuracies.

Input normalisation
-------------------
The course feeds every network [-1, 1] images (``x = 2 * pixel - 1``: mean 0.5, std 0.5), which is
what all default weights here expect: the TF-ported timm weights use mean = std = 0.5, and
torchvision's GoogLeNet / Inception-v3 weights too - torchvision's ``transform_input=True`` exists
only to turn the ImageNet-mean/std input of its other models *into* [-1, 1] before the first conv.
Some optional weights (timm's ``inception_v3.gluon_in1k``) expect ImageNet mean/std instead. Each
loaded model therefore carries ``model.pretrained_cfg`` (weights id, model name, mean, std), and
:func:`to_model_input` converts a [-1, 1] batch to what the model expects; ``evaluate`` and
``predict`` call it, so one data pipeline serves every set of weights.

Offline
-------
Fetching needs the internet the first time (timm reads the Hugging Face Hub, torchvision
download.pytorch.org). Without it, :class:`WeightsUnavailableError` says what could not be fetched
and how to bring the file by hand (``checkpoint="path/to/file"``).
"""

from __future__ import annotations

import inspect
import os
import socket
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from .convert import StateDict, convert_reference_state_dict
from .registry import get_builder

COURSE_MEAN = COURSE_STD = (0.5, 0.5, 0.5)  # x = (pixel - 0.5) / 0.5, the [-1, 1] range
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
TIMM_RESULTS = "timm's results/results-imagenet.csv (github.com/huggingface/pytorch-image-models @ 0173a13)"


@dataclass(frozen=True)
class PublishedWeights:
    """One set of published ImageNet weights and how to fetch and feed it.

    ``top1``/``top5`` are the *accuracies* (percent) its publisher measured on the 50,000 ImageNet
    validation images with a single central crop, quoted from ``accuracy_source``.
    """

    model: str  # our model name
    source: str  # "timm" or "torchvision"
    id: str  # timm model tag, or torchvision "WeightsEnum.MEMBER"
    url: str  # where the file comes from
    top1: float
    top5: float
    accuracy_source: str
    mean: tuple[float, float, float] = COURSE_MEAN
    std: tuple[float, float, float] = COURSE_STD

    @property
    def filename(self) -> str:
        """The file to download by hand for ``checkpoint=``."""
        return self.url.rsplit("/", 1)[-1]


def _torchvision(model: str, weights: str, filename: str, top1: float, top5: float) -> PublishedWeights:
    source = f"torchvision weights metadata ({weights}.meta['_metrics'], as in the torchvision docs)"
    return PublishedWeights(model, "torchvision", weights, f"https://download.pytorch.org/models/{filename}",
                            top1, top5, source)


def _timm(model: str, tag: str, top1: float, top5: float, **normalisation: Any) -> PublishedWeights:
    url = f"https://huggingface.co/timm/{tag}/resolve/main/model.safetensors"
    return PublishedWeights(model, "timm", tag, url, top1, top5, TIMM_RESULTS, **normalisation)


# Accuracies: docs/pretrained.md says where each comes from. The first entry of each model is its
# default (torchvision's where it has weights: torchvision is installed with the course, timm is not).
PUBLISHED_WEIGHTS: dict[str, tuple[PublishedWeights, ...]] = {
    "googlenet": (
        _torchvision("googlenet", "GoogLeNet_Weights.IMAGENET1K_V1", "googlenet-1378be20.pth", 69.778, 89.530),
    ),
    "inception_v3": (
        _torchvision("inception_v3", "Inception_V3_Weights.IMAGENET1K_V1", "inception_v3_google-0cc3c7bd.pth",
                     77.294, 93.450),
        _timm("inception_v3", "inception_v3.tv_in1k", 77.434, 93.474),
        _timm("inception_v3", "inception_v3.tf_in1k", 77.862, 93.644),
        _timm("inception_v3", "inception_v3.tf_adv_in1k", 77.592, 93.730),
        _timm("inception_v3", "inception_v3.gluon_in1k", 78.806, 94.374, mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ),
    "inception_v4": (
        _timm("inception_v4", "inception_v4.tf_in1k", 80.156, 94.968),
    ),
    "inception_resnet_v2": (
        _timm("inception_resnet_v2", "inception_resnet_v2.tf_in1k", 80.462, 95.308),
        _timm("inception_resnet_v2", "inception_resnet_v2.tf_ens_adv_in1k", 79.978, 94.946),
    ),
}

NO_PUBLISHED_WEIGHTS = {
    "inception_v2": "neither timm nor torchvision publishes BN-Inception weights (third-party ports such as "
    "TF-slim's inception_v2 differ from this network and have no converter here)",
    "inception_resnet_v1": "the paper's code release (TF-slim) has Inception-ResNet-v2 weights only, and neither "
    "timm nor torchvision publishes Inception-ResNet-v1 weights",
}

Fetch = Callable[[PublishedWeights], StateDict]


class WeightsUnavailableError(RuntimeError):
    """Published weights could not be fetched (no internet, hub down, or a library missing)."""


def published_weights(name: str, weights: str | None = None) -> PublishedWeights:
    """The :class:`PublishedWeights` for model ``name``: the default, or the one whose id is ``weights``."""
    if name in NO_PUBLISHED_WEIGHTS:
        raise ValueError(
            f"no published ImageNet weights exist for {name!r}: {NO_PUBLISHED_WEIGHTS[name]}. "
            f"Train it yourself (inception_course.training) or pick one of: {', '.join(PUBLISHED_WEIGHTS)}"
        )
    if name not in PUBLISHED_WEIGHTS:
        known = ", ".join(PUBLISHED_WEIGHTS)
        raise ValueError(f"no published weights are known for {name!r}; models with weights: {known}")
    choices = PUBLISHED_WEIGHTS[name]
    if weights is None:
        return choices[0]
    for choice in choices:
        if weights == choice.id:
            return choice
    raise ValueError(f"unknown weights {weights!r} for {name!r}; choose one of: {', '.join(c.id for c in choices)}")


def fetch_state_dict(spec: PublishedWeights) -> StateDict:
    """Read the reference state dict of ``spec`` from the library's cache, or download it there."""
    if spec.source == "timm":
        try:
            from timm.models import load_state_dict_from_hf
        except ImportError as err:
            raise WeightsUnavailableError(
                f"weights {spec.id!r} come through timm, which is not installed: pip install timm"
            ) from err
    try:
        if _cached_file(spec) is None:
            _check_reachable(spec.url)
        if spec.source == "timm":
            return load_state_dict_from_hf(f"timm/{spec.id}")
        import torchvision.models

        enum_name, member = spec.id.split(".")
        return getattr(torchvision.models, enum_name)[member].get_state_dict(progress=True)
    except Exception as err:  # each library raises its own network errors; all mean "not fetched"
        raise WeightsUnavailableError(_offline_message(spec, err)) from err


def _cached_file(spec: PublishedWeights) -> str | None:
    """The file of ``spec`` in timm's (Hugging Face) or torchvision's (torch.hub) cache, if there."""
    if spec.source == "timm":
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(f"timm/{spec.id}", spec.filename)
        return found if isinstance(found, str) else None
    path = Path(torch.hub.get_dir()) / "checkpoints" / spec.filename
    return str(path) if path.is_file() else None


def _check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail within seconds when the weights' host cannot be reached (the Hugging Face client
    otherwise retries for about a minute before giving up). Behind a proxy only the download
    itself can tell, so the check is skipped."""
    if "https" in urllib.request.getproxies():
        return
    host = urllib.parse.urlsplit(url).hostname
    with socket.create_connection((host, 443), timeout=timeout):
        pass


def _offline_message(spec: PublishedWeights, err: Exception) -> str:
    where = "the Hugging Face Hub" if spec.source == "timm" else "download.pytorch.org"
    message = (
        f"could not fetch the {spec.source} weights {spec.id!r} for {spec.model!r} from {where} "
        f"({type(err).__name__}: {err}). Without internet: download {spec.url} on a connected machine, "
        f"copy it here, and load it with create_model({spec.model!r}, pretrained=True, "
        f"weights={spec.id!r}, checkpoint='path/to/{spec.filename}')"
    )
    if spec.source == "torchvision":
        cached = Path(torch.hub.get_dir()) / "checkpoints" / spec.filename
        message += f", or put it at {cached}, where torchvision looks before downloading"
    return message + "."


def read_checkpoint(path: str | os.PathLike) -> StateDict:
    """A state dict from a ``.safetensors`` or ``.pth`` file placed by hand."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; download the published file first")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


def load_pretrained(
    name: str,
    num_classes: int = 1000,
    weights: str | None = None,
    checkpoint: str | os.PathLike | None = None,
    fetch: Fetch | None = None,
    **options: Any,
) -> nn.Module:
    """Build ``name`` and load published ImageNet weights into it (strictly).

    ``weights`` picks one of ``PUBLISHED_WEIGHTS[name]`` by id (default: the first);
    ``checkpoint`` reads the reference file from disk instead of fetching it; ``fetch`` replaces the
    download (tests inject one). ``options`` go to the builder (``dropout``...); the architecture
    must stay the reference one (``config="reference"``, no ``width``/``depths``), or the strict
    load names the tensors that do not fit. Auxiliary heads (GoogLeNet, Inception-v3) are built when
    the checkpoint has them, unless ``aux_logits`` is given (torchvision's GoogLeNet checkpoint
    holds aux heads that were never trained, torchvision warns; timm's TF ports hold none).

    ``num_classes`` other than 1000 keeps every pretrained layer but the classifiers: the tensors
    whose shape depends on the number of classes (``fc``, and auxiliary heads' last layers) keep
    the fresh initialisation of the new ``num_classes``-way network, ready for fine-tuning.
    """
    spec = published_weights(name, weights)
    reference = read_checkpoint(checkpoint) if checkpoint is not None else (fetch or fetch_state_dict)(spec)
    state = convert_reference_state_dict(name, reference, source=spec.source)
    builder = get_builder(name)
    if "aux_logits" in inspect.signature(builder).parameters and "aux_logits" not in options:
        options = {**options, "aux_logits": any(key.startswith("aux") for key in state)}
    model = builder(num_classes=num_classes, **options)
    if num_classes != 1000:
        state = _keep_fresh_classifiers(model.state_dict(), state)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"the {spec.id} weights do not fit {name!r} built with options {options}: missing {list(missing)[:6]}, "
            f"unexpected {list(unexpected)[:6]}. Published weights fit the reference architecture "
            "(default options; leave aux_logits out to follow the checkpoint)"
        )
    model.pretrained_cfg = {
        "weights": f"{spec.source}:{spec.id}",
        "url": spec.url,
        "model": name,  # its crop fraction and resampling: inception_course.data.transforms.input_spec(name)
        "mean": spec.mean,
        "std": spec.std,
    }
    return model


def _keep_fresh_classifiers(fresh: StateDict, pretrained: StateDict) -> StateDict:
    """Replace the 1000-class tensors of ``pretrained`` by the new network's (other-size) ones."""
    state = dict(pretrained)
    for key, tensor in pretrained.items():
        if key in fresh and fresh[key].shape != tensor.shape:
            if tensor.shape[0] != 1000:
                raise ValueError(f"{key}: shape {tuple(tensor.shape)} vs {tuple(fresh[key].shape)} is not a classifier")
            state[key] = fresh[key]
    return state


def input_normalization(model: nn.Module) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(mean, std)`` of the pixel normalisation ``model`` expects (the course's 0.5/0.5 if unknown)."""
    cfg = getattr(model, "pretrained_cfg", None) or {}
    return tuple(cfg.get("mean", COURSE_MEAN)), tuple(cfg.get("std", COURSE_STD))


def to_model_input(x: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """Convert a [-1, 1] image batch ``(N, C, H, W)`` to the normalisation ``model``'s weights expect."""
    mean, std = input_normalization(model)
    if mean == COURSE_MEAN and std == COURSE_STD:
        return x
    shape = (1, -1, 1, 1)
    pixel = (x + 1) / 2
    return (pixel - x.new_tensor(mean).view(shape)) / x.new_tensor(std).view(shape)
