"""Training: the paper's recipe (TF-style RMSProp, 0.045 x 0.94 every two epochs, clipping, weight
averaging, label smoothing, auxiliary losses) with mixed precision, exact resumption and torchrun.

>>> from inception_course.training import train, load_history
>>> history = train("inception_v4", "synthetic", epochs=2)      # writes runs/inception_v4-synthetic-*/
>>> load_history(history.run_dir).val[-1]["val_top1_err"]

Modules: ``presets`` (every default, with sources), ``train_config`` (``TrainConfig``), ``optim``, ``clip``,
``schedule``, ``ema``, ``sampler``, ``checkpoint``, ``history``, ``monitors``, ``validate``,
``distributed``, ``trainer`` (``Trainer``, ``train``), ``cli``.
"""

from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .clip import clip_grad_norm_per_tensor_, clip_gradients_
from .ema import ModelEMA
from .history import History, load_history
from .monitors import NonFiniteLossError, TrainingOutOfMemoryError, ZeroActivationMonitor
from .optim import RMSpropTF, build_optimizer
from .presets import DATA_PRESETS, MODEL_PRESETS, RECIPE, preset
from .sampler import ResumableSampler
from .schedule import PaperLRFactor, paper_schedule, scale_lr
from .train_config import TrainConfig
from .trainer import Trainer, train

__all__ = [
    "TrainConfig", "Trainer", "train", "History", "load_history", "RMSpropTF", "build_optimizer",
    "PaperLRFactor", "paper_schedule", "scale_lr", "ModelEMA", "ResumableSampler", "save_checkpoint",
    "load_checkpoint", "latest_checkpoint", "NonFiniteLossError", "TrainingOutOfMemoryError",
    "ZeroActivationMonitor", "RECIPE", "MODEL_PRESETS", "DATA_PRESETS", "preset",
    "clip_grad_norm_per_tensor_", "clip_gradients_",
]
