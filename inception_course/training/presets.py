"""Every default training setting, with where it comes from, in one place.

:class:`~inception_course.training.config.TrainConfig` takes its field defaults from :data:`RECIPE`
and :func:`preset` layers the per-model and per-data-set tables on top. Change a number here and
the notebooks, the CLI and the tests all follow.

Sources, abbreviated below (the public TensorFlow code was checked for each number it holds):

* [v4] Szegedy et al. 2017, "Inception-v4, Inception-ResNet and the Impact of Residual Connections
  on Learning", section "Training Methodology": RMSProp with decay 0.9 and epsilon 1.0, learning
  rate 0.045 decayed every two epochs by 0.94, "gradient clipping" (no threshold, no method),
  evaluation with a running average of the parameters. The paper gives neither batch size,
  clipping threshold nor averaging decay.
* [v3] Szegedy et al. 2016, "Rethinking the Inception Architecture": the same RMSProp recipe with
  batch size 32 per replica for 100 epochs, gradient clipping with threshold 2.0, label smoothing
  0.1 (the "label-smoothing regularisation" section).
* [v1] Szegedy et al. 2015, "Going Deeper with Convolutions": auxiliary losses weighted 0.3.
* [slim] TF-slim's ``research/slim/train_image_classifier.py`` (tensorflow/models) and its
  ``nets/inception_*.py``: weight decay 4e-5 on conv/fc weights, RMSProp decay 0.9, momentum 0.9,
  epsilon 1.0, learning-rate decay 0.94 every 2 epochs, batch 32, the v3 auxiliary loss weight
  0.4, dropout keep-probability 0.8 (dropout 0.2) before every classifier. That script clips
  nothing and averages only when ``--moving_average_decay`` is given.
* [slim-learning] TF-slim's training library, ``tf_slim/learning.py``: ``create_train_op(...,
  clip_gradient_norm=c)`` clips with ``clip_gradient_norms``, i.e. ``tf.clip_by_norm`` on each
  variable's gradient separately (see ``training/clip.py``). The paper's own training code is not
  public; this is how TF-slim, the library the reference models are written in, clips.
* [inception-tf] The Inception-v3 training code in tensorflow/models (``inception/inception/
  inception_train.py``, ``inception_model.py``): RMSProp 0.9 / 0.9 / 1.0, weight decay 4e-5, label
  smoothing 0.1, auxiliary weight 0.4, and ``ExponentialMovingAverage(0.9999, global_step)`` over
  the weights *and* the batch-norm moving statistics (see ``training/ema.py``).
* [course] choices of this course (not in any paper), chosen to fit a Colab GPU.
"""

from __future__ import annotations

from typing import Any

from ..config import is_fast

#: The paper's recipe; the defaults of every :class:`TrainConfig` field named here.
RECIPE: dict[str, Any] = {
    "optimizer": "rmsprop",  # [v4] (momentum SGD was the earlier choice, also with 0.9)
    "base_lr": 0.045,  # [v4]
    "reference_batch_size": 32,  # [v3] the batch the 0.045 was tuned for (one replica's batch)
    "lr_scaling": "linear",  # [course] see schedule.scale_lr
    "lr_decay": 0.94,  # [v4]
    "lr_decay_epochs": 2.0,  # [v4]
    "warmup_epochs": 0.0,  # [course] the paper had no warm-up; use 1-5 for batches far above 32
    "momentum": 0.9,  # [v4] [slim] [inception-tf]
    "rmsprop_decay": 0.9,  # [v4] [slim] [inception-tf]
    "rmsprop_eps": 1.0,  # [v4] [slim] TensorFlow placement, see optim.RMSpropTF
    "weight_decay": 4e-5,  # [slim] [inception-tf]
    "clip_grad_norm": 2.0,  # [v3] the threshold; the paper says only "gradient clipping"
    "clip_mode": "per_tensor",  # [slim-learning] clip_by_norm on each variable's gradient, see clip.py
    "label_smoothing": 0.1,  # [v3] [inception-tf]
    "ema_decay": 0.9999,  # [inception-tf] (with its num_updates warm-up, see ema.py)
    "dropout": 0.2,  # [slim] keep-probability 0.8
    "epochs": 100,  # [v3]
    "batch_size": 32,  # [v3] [slim]
}

#: Per-model settings that differ from :data:`RECIPE` (the input size comes from the data module's
#: ``MODEL_INPUTS``: 224 px for GoogLeNet and BN-Inception, 299 px for the rest). ``aux_weights`` holds one loss weight per
#: auxiliary classifier the model returns in training mode (an empty tuple: no auxiliary heads).
MODEL_PRESETS: dict[str, dict[str, Any]] = {
    # [v1] 0.3 for each of the two heads; dropout 0.2 as torchvision and TF-slim (the paper said 0.4).
    "googlenet": {"aux_weights": (0.3, 0.3)},
    # BN-Inception dropped dropout ("Batch Normalization", Ioffe & Szegedy 2015) and has no aux heads.
    "inception_v2": {"aux_weights": (), "dropout": 0.0},
    # [slim] weights the single auxiliary head 0.4.
    "inception_v3": {"aux_weights": (0.4,)},
    "inception_v4": {"aux_weights": ()},
    "inception_resnet_v1": {"aux_weights": ()},
    "inception_resnet_v2": {"aux_weights": ()},
}

#: Models whose builders take ``aux_logits``: the trainer builds the heads when ``aux_weights`` is set.
AUX_MODELS = frozenset(m for m, p in MODEL_PRESETS.items() if p["aux_weights"])

#: Per-data-set settings [course]. ImageNet keeps the paper's recipe.
DATA_PRESETS: dict[str, dict[str, Any]] = {
    "synthetic": {"epochs": 10, "batch_size": 32, "warmup_epochs": 1.0},
    # 28 px photos upscaled to the smallest input every network takes; 4,000 fresh images an epoch.
    "fashion_mnist": {
        "epochs": 10, "batch_size": 32, "warmup_epochs": 1.0, "image_size": 75, "data_kwargs": {"train_images": 4000},
    },
    "imagenette": {"epochs": 40, "batch_size": 64, "warmup_epochs": 2.0},
    "imagewoof": {"epochs": 40, "batch_size": 64, "warmup_epochs": 2.0},
    "imagenet100": {"epochs": 60, "batch_size": 64, "warmup_epochs": 2.0},
    "imagenet": {},
}

#: Fast mode (``INCEPTION_COURSE_FAST=1``, set for every test and CI notebook run): a narrow network
#: at the smallest input size and a short run, so that everything finishes in seconds on a CPU.
FAST: dict[str, Any] = {
    "width": 0.25,
    "image_size": 75,
    "epochs": 1,
    "batch_size": 8,
    "log_every": 5,
    "ema_decay": 0.99,
    "num_workers": 0,
}
#: Fast-mode block repeats for the models whose builders take three stage depths.
FAST_DEPTHS: dict[str, tuple[int, ...]] = {
    "inception_v3": (1, 1, 1),
    "inception_v4": (1, 1, 1),
    "inception_resnet_v1": (1, 1, 1),
    "inception_resnet_v2": (1, 1, 1),
}
#: All fast-mode changes per model: the depths above, and no auxiliary head for Inception-v3 (its
#: head needs the 17x17 grid of a 299 px input).
FAST_MODEL: dict[str, dict[str, Any]] = {
    model: {"depths": depths, **({"aux_weights": ()} if model == "inception_v3" else {})}
    for model, depths in FAST_DEPTHS.items()
}


def preset(model: str, data: str, fast: bool | None = None) -> dict[str, Any]:
    """The settings for ``model`` on ``data``: model table, then data table, then fast mode.

    Unknown names raise ``ValueError`` listing the known ones. ``fast=None`` follows
    :func:`~inception_course.config.is_fast`.
    """
    if model not in MODEL_PRESETS:
        raise ValueError(f"no training preset for model {model!r}; known: {', '.join(MODEL_PRESETS)}")
    if data not in DATA_PRESETS:
        raise ValueError(f"no training preset for data set {data!r}; known: {', '.join(DATA_PRESETS)}")
    settings = {**MODEL_PRESETS[model], **DATA_PRESETS[data]}
    if is_fast() if fast is None else fast:
        settings.update({**FAST, **FAST_MODEL.get(model, {})})
    return settings
