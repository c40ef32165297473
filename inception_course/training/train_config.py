"""``TrainConfig``: every setting of a training run, as one dataclass.

The CLI builds its flags from these fields (their ``help`` metadata becomes ``--help``), the run
directory stores them in ``config.json``, and checkpoints keep a copy so that a resumed run can
refuse settings that would change its result.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from .presets import RECIPE, preset


class SettingsError(ValueError):
    """A setting that cannot work (a bad value, or a change a resumed run cannot take): the
    command line reports it as a usage error (exit status 2)."""


def _setting(default: Any, help: str) -> Any:  # noqa: A002  (argparse's word)
    """A dataclass field with a default and the help text the CLI shows."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(minimum: int) -> Any:
    return lambda v: float(v).is_integer() and v >= minimum


#: Every numeric setting's real domain, checked when a config is made (so at parse time on the
#: command line): ``{name: (test, what the error says it must be)}``. Zero is a value like any
#: other; ``None`` (``none`` on the command line) is the only "unset" (see ``OPTIONAL_NUMBERS``).
NUMERIC_DOMAINS: dict[str, tuple[Any, str]] = {
    "epochs": (_whole(1), "at least 1 (a whole number)"),
    "batch_size": (_whole(1), "at least 1 (a whole number)"),
    "accum_steps": (_whole(1), "at least 1 (a whole number)"),
    "log_every": (_whole(1), "at least 1 (a whole number)"),
    "keep_checkpoints": (_whole(1), "at least 1 (a whole number)"),
    "checkpoint_every": (_whole(1), "at least 1 (a whole number)"),
    "image_size": (_whole(1), "at least 1 (a whole number of pixels)"),
    "reference_batch_size": (_whole(1), "at least 1 (a whole number)"),
    "num_workers": (_whole(0), "0 or more (a whole number; 0: load in the main process)"),
    "seed": (lambda v: float(v).is_integer() and 0 <= v < 2**32, "a whole number in [0, 2**32)"),
    "width": (lambda v: v > 0, "positive (1.0 is the paper's network)"),
    "dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "aux_weights": (lambda v: v >= 0, "0 or more for each auxiliary classifier"),
    "lr": (lambda v: v > 0, "positive"),
    "base_lr": (lambda v: v > 0, "positive"),
    "lr_decay": (lambda v: 0 < v <= 1, "in (0, 1] (1: no decay; the paper uses 0.94)"),
    "lr_decay_epochs": (lambda v: v > 0, "positive (the paper decays every 2 epochs)"),
    "warmup_epochs": (lambda v: v >= 0, "0 or more"),
    "momentum": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "rmsprop_decay": (lambda v: 0 <= v < 1, "in [0, 1) (the paper uses 0.9)"),
    "rmsprop_eps": (lambda v: v > 0, "positive (the paper uses 1.0)"),
    "weight_decay": (lambda v: v >= 0, "0 or more"),
    "clip_grad_norm": (lambda v: v > 0, "positive (the paper clips at 2.0)"),
    "label_smoothing": (lambda v: 0 <= v < 1, "in [0, 1) (the paper uses 0.1)"),
    "ema_decay": (lambda v: 0 <= v < 1, "in [0, 1) (the paper uses 0.9999)"),
    "zero_fraction_warn": (lambda v: 0 < v <= 1, "in (0, 1]"),
}
#: Numeric settings that take ``None`` ("none" on the command line) for "off" or "the default".
OPTIONAL_NUMBERS = frozenset({"checkpoint_every", "image_size", "num_workers", "lr", "clip_grad_norm", "ema_decay"})


@dataclass
class TrainConfig:
    """All settings of one run. Defaults are the paper's recipe (see ``training/presets.py``);
    :meth:`from_preset` adds the per-model and per-data-set presets."""

    # what to train, on what
    model: str = _setting("inception_v4", "model name (see inception_course.list_models())")
    data: str = _setting("synthetic", "data set name; 'synthetic' needs no download")
    data_root: str | None = _setting(None, "data folder (default: $INCEPTION_COURSE_DATA or ~/.cache/inception_course)")
    download: bool = _setting(False, "download the data set if it is missing")
    data_kwargs: dict = _setting({}, "extra build_dataset options as JSON, e.g. '{\"num_classes\": 10}'")
    image_size: int | None = _setting(None, "input size in pixels (default: the model's design size)")
    width: float = _setting(1.0, "filter-count multiplier")
    depths: tuple[int, ...] | None = _setting(None, "block repeats per stage (default: the paper's)")
    dropout: float = _setting(RECIPE["dropout"], "dropout before the classifier")
    aux_weights: tuple[float, ...] = _setting((), "loss weight of each auxiliary classifier (none: no aux heads)")
    model_kwargs: dict = _setting({}, "extra create_model options as JSON, e.g. '{\"residual_scale\": 0.1}'")
    # how long, how big
    epochs: int = _setting(RECIPE["epochs"], "number of epochs")
    batch_size: int = _setting(RECIPE["batch_size"], "images per process per forward pass")
    accum_steps: int = _setting(1, "forward passes per optimiser step (gradient accumulation)")
    # optimiser and schedule
    optimizer: Literal["rmsprop", "sgd"] = _setting(RECIPE["optimizer"], "rmsprop (TensorFlow-style) or sgd")
    lr: float | None = _setting(None, "learning rate (default: base_lr scaled to the global batch)")
    base_lr: float = _setting(RECIPE["base_lr"], "learning rate at reference_batch_size")
    reference_batch_size: int = _setting(RECIPE["reference_batch_size"], "global batch that base_lr was tuned for")
    lr_scaling: Literal["linear", "sqrt", "none"] = _setting(RECIPE["lr_scaling"], "rule that scales base_lr")
    lr_decay: float = _setting(RECIPE["lr_decay"], "learning-rate factor every lr_decay_epochs")
    lr_decay_epochs: float = _setting(RECIPE["lr_decay_epochs"], "epochs between learning-rate decays")
    warmup_epochs: float = _setting(RECIPE["warmup_epochs"], "linear learning-rate warm-up length in epochs")
    momentum: float = _setting(RECIPE["momentum"], "momentum (RMSProp and SGD)")
    rmsprop_decay: float = _setting(RECIPE["rmsprop_decay"], "RMSProp decay of the squared-gradient average")
    rmsprop_eps: float = _setting(RECIPE["rmsprop_eps"], "RMSProp epsilon, inside the square root as in TensorFlow")
    weight_decay: float = _setting(RECIPE["weight_decay"], "L2 weight decay on conv/linear weights")
    clip_grad_norm: float | None = _setting(RECIPE["clip_grad_norm"], "gradient-clipping threshold (none: off)")
    clip_mode: Literal["per_tensor", "global"] = _setting(
        RECIPE["clip_mode"], "per_tensor: clip each parameter's gradient norm (TF-slim); global: one factor for all"
    )
    label_smoothing: float = _setting(RECIPE["label_smoothing"], "label smoothing of the training loss")
    ema_decay: float | None = _setting(RECIPE["ema_decay"], "decay of the weight average used for evaluation (none: off)")
    # speed
    precision: Literal["auto", "fp32", "bf16", "fp16"] = _setting("auto", "auto: bf16 on GPUs that have it, else fp16; fp32 on CPU")
    channels_last: bool = _setting(True, "NHWC memory layout (faster convolutions on tensor cores)")
    compile: bool = _setting(False, "torch.compile the model")
    cudnn_benchmark: bool = _setting(True, "let cuDNN pick the fastest convolution algorithms")
    device: str | None = _setting(None, "cuda, cpu, mps... (default: the best available)")
    num_workers: int | None = _setting(None, "data-loader worker processes (default: the data module's choice)")
    sync_bn: bool = _setting(False, "synchronise batch-norm statistics across GPUs (torchrun runs)")
    # bookkeeping
    seed: int = _setting(0, "seed of weights, data order and augmentation")
    log_every: int = _setting(50, "optimiser steps between history records and progress-bar updates")
    checkpoint_every: int | None = _setting(None, "optimiser steps between checkpoints (none: end of each epoch only)")
    keep_checkpoints: int = _setting(3, "how many recent checkpoints to keep")
    zero_fraction_warn: float = _setting(0.9, "warn when this fraction of the last feature map is exactly zero")
    out: str | None = _setting(None, "run directory (default: runs/<model>-<data>-<timestamp>)")
    resume: bool = _setting(False, "continue from the newest valid checkpoint in the run directory")

    #: Fields that may change when a run is resumed: those that do not change its result, and
    #: those that only steer the rest of it (length, learning rate and schedule, clipping,
    #: bookkeeping). The trainer records every such change in the history and in config.json.
    RESUMABLE_CHANGES = frozenset(
        {"epochs", "out", "resume", "log_every", "checkpoint_every", "keep_checkpoints", "num_workers",
         "compile", "download", "data_root", "device", "zero_fraction_warn", "cudnn_benchmark",
         "lr", "base_lr", "reference_batch_size", "lr_scaling", "lr_decay", "lr_decay_epochs", "warmup_epochs",
         "clip_grad_norm", "clip_mode"}
    )
    #: What a setting meant in checkpoints written before it existed (global clipping came first).
    LEGACY_DEFAULTS: ClassVar[dict[str, Any]] = {"clip_mode": "global"}
    #: The resumable fields that set the learning rate or its schedule.
    SCHEDULE_FIELDS = frozenset(
        {"lr", "base_lr", "reference_batch_size", "lr_scaling", "lr_decay", "lr_decay_epochs", "warmup_epochs"}
    )

    def __post_init__(self) -> None:
        # JSON and argparse give lists; tuples keep the config hashable-looking and comparable.
        if self.depths is not None:
            self.depths = tuple(self.depths)
        self.aux_weights = tuple(self.aux_weights)
        for name in ("data_kwargs", "model_kwargs"):
            if not isinstance(getattr(self, name), dict):
                raise SettingsError(
                    f"{name} must be a JSON object such as '{{\"num_classes\": 10}}', got {getattr(self, name)!r}"
                )
        for name, (check, domain) in NUMERIC_DOMAINS.items():
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            if value is None and name in OPTIONAL_NUMBERS:
                continue
            if not all(_is_number(v) and check(v) for v in values):
                unset = " (or none: see --help)" if name in OPTIONAL_NUMBERS else ""
                raise SettingsError(f"{name} must be {domain}{unset}, got {value!r}")
        if self.depths is not None and not all(isinstance(d, int) and d >= 0 for d in self.depths):
            raise SettingsError(f"depths must be whole numbers of blocks, 0 or more, got {self.depths}")

    @classmethod
    def from_preset(cls, model: str = "inception_v4", data: str = "synthetic", **overrides: Any) -> "TrainConfig":
        """The paper's recipe plus the presets for ``model`` and ``data`` (plus fast mode when it
        is on), then ``overrides``. Unknown override names raise ``ValueError`` listing valid ones."""
        cls.check_names(overrides)
        return cls(model=model, data=data, **{**preset(model, data), **overrides})

    @classmethod
    def check_names(cls, settings: dict[str, Any]) -> None:
        """Raise :class:`SettingsError` for names that are not fields."""
        unknown = set(settings) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            valid = ", ".join(f.name for f in dataclasses.fields(cls))
            raise SettingsError(f"unknown training setting(s) {', '.join(sorted(unknown))}; valid: {valid}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> "TrainConfig":
        self.check_names(changes)
        return dataclasses.replace(self, **changes)

    def changes(self, other: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """``{name: (other's value, this config's value)}`` for every setting where they differ."""
        mine = json.loads(json.dumps(self.to_dict()))  # tuples -> lists, as stored in checkpoints
        theirs = {**self.LEGACY_DEFAULTS, **json.loads(json.dumps(other))}
        return {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}

    def differences(self, other: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Settings (other than :attr:`RESUMABLE_CHANGES`) where ``other`` differs from this config."""
        return {k: v for k, v in self.changes(other).items() if k not in self.RESUMABLE_CHANGES}

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> "TrainConfig":
        """The config stored in ``run_dir/config.json``."""
        path = Path(run_dir) / "config.json"
        if not path.is_file():
            raise FileNotFoundError(f"no config.json in {run_dir}: is it a run directory written by the trainer?")
        try:
            settings = json.loads(path.read_text())["config"]
            cls.check_names(settings)
            return cls(**settings)
        except (ValueError, KeyError, TypeError) as error:  # not JSON, no "config", wrong fields or values
            raise ValueError(
                f"{path} is not a valid run configuration ({type(error).__name__}: {error}): restore it from a"
                " checkpoint's 'config' entry, or start a new run in another --out"
            ) from error
