"""``Trainer``: the loop that notebooks and the CLI share.

One optimiser step, in order: forward passes under autocast (``accum_steps`` micro-batches, the
DDP gradient all-reduce only on the last), the grad scaler's unscale, gradient clipping, one
optimiser step (skipped by the scaler if fp16 gradients overflowed, and counted), the schedule,
then the weight average. Nothing in the step reads a value back from the GPU: losses, the
non-finite check, skipped steps and the zero-activation fraction stay on the device until a
logging step, so the CPU can queue work ahead of the GPU. (In fp16 the grad scaler itself reads
one overflow flag per step; bf16 needs no scaler and has no such read.)

Exact resumption: the data order of epoch ``e`` is a function of ``(seed, e)`` (see ``sampler.py``),
checkpoints store the position in it and every generator's state, and resuming restores them last.
On a CPU the resumed run's weights are bit-identical to an uninterrupted run's (a test checks). Two
limits: loader worker processes keep their own random streams, so with ``num_workers > 0`` random
augmentations after a mid-epoch resume differ (the data order does not); and GPU kernels chosen by
``cudnn_benchmark`` may be non-deterministic.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import random
import socket
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ..config import default_device
from ..data import (
    MODEL_INPUTS, TENSOR_DATASETS, DatasetNotFoundError, build_dataset, build_loader, transforms_for,
)
from ..models import create_model
from ..progress import progress_bar, write
from .checkpoint import (
    checkpoint_path, latest_checkpoint, list_checkpoints, non_finite_parts, restore_problem, rng_state, save_checkpoint,
    set_rng_state,
)
from .clip import clip_gradients_
from .distributed import (
    barrier, broadcast_buffers, broadcast_object, gather_objects, init_distributed, max_over_ranks, min_over_ranks,
    rank_zero_first, shutdown, wrap_model,
)
from .ema import ModelEMA
from .history import History, HistoryWriter
from .monitors import (
    NonFiniteLossError, NonFiniteLossGuard, TrainingOutOfMemoryError, ZeroActivationMonitor, diverging,
    non_finite_message, out_of_memory_message, weight_norm,
)
from .optim import build_optimizer
from .presets import AUX_MODELS
from .sampler import ResumableSampler
from .rundir import check_new_run_folder, remove_stale_temporaries
from .runlock import LOCK_FILE, RunLock, StaleTrainerError
from .schedule import PaperLRFactor, paper_schedule, scale_lr
from .signals import TrainingStopped, stop_requested
from .train_config import SettingsError, TrainConfig
from .validate import evaluate

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(precision: str, device: torch.device) -> str:
    """``"auto"`` -> bf16 on GPUs with native bf16 (compute capability 8.0 or more: A100, H100,
    RTX 30xx on), fp16 with a grad scaler on older ones (Colab's T4 is 7.5: ``is_bf16_supported()``
    counts its emulation, and cuDNN has no bf16 convolutions there), fp32 elsewhere."""
    if precision == "auto":
        if device.type != "cuda":
            return "fp32"
        return "bf16" if torch.cuda.get_device_capability(device)[0] >= 8 else "fp16"
    if precision not in ("fp32", "bf16", "fp16"):
        raise SettingsError(f"unknown precision {precision!r}; choose auto, fp32, bf16 or fp16")
    return precision


def resolve_device(name: str | None) -> torch.device:
    """``name`` as a device this machine has (``None``: the best available), else :class:`SettingsError`."""
    if name is None:
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SettingsError(f"unknown device {name!r}: use cpu, cuda, cuda:N or mps (or leave --device out)") from None
    count = {"cuda": torch.cuda.device_count(), "mps": int(torch.backends.mps.is_available())}.get(device.type, 1)
    if count == 0 or (device.index or 0) >= count:
        raise SettingsError(
            f"device {name!r} is not available here (torch sees {count} {device.type} device(s)): leave --device out"
            f" to use the best available one ({default_device()})"
        )
    return device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def environment(device: torch.device, world_size: int) -> dict[str, Any]:
    """Where a run ran, for ``config.json``."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine())
    return {
        "device": str(device),
        "device_name": name,
        "world_size": world_size,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


class Trainer:
    """Trains ``config.model`` on ``config.data`` and writes a run directory.

    ``model``, ``train_set`` and ``val_set`` replace the ones the config names (for your own
    module or data set); datasets must yield ``(image tensor, label)`` and have ``num_classes``.
    ``command`` is recorded in ``config.json`` (the CLI passes its command line).
    """

    def __init__(
        self,
        config: TrainConfig,
        model: nn.Module | None = None,
        train_set: torch.utils.data.Dataset | None = None,
        val_set: torch.utils.data.Dataset | None = None,
        command: str | None = None,
    ) -> None:
        self.config = cfg = config
        self.ctx = init_distributed(resolve_device(cfg.device))
        self.device = self.ctx.device
        self.precision = resolve_precision(cfg.precision, self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
        self.run_dir = Path(broadcast_object(str(self._choose_run_dir()), self.ctx))
        self.checkpoint_dir = self.run_dir / "checkpoints"
        # One writer per folder: lock it before reading or writing anything in it (rank 0 writes).
        self.lock = RunLock(self.run_dir)
        new_folder = not self.run_dir.exists()
        if not cfg.resume and self.ctx.is_main:
            check_new_run_folder(self.run_dir)  # before the lock file is created in it
        try:
            if self.ctx.is_main:
                self.lock.acquire()
                remove_stale_temporaries(self.run_dir)
            found = self._find_checkpoint() if cfg.resume else None  # settings compared before building
            self._build(model, train_set, val_set)
            if found and self._restore_problem(found[1]):
                found = self._find_checkpoint(self._restore_problem)  # the newest that fits, naming those skipped
            records = self._restore(*found, command) if found else self._start_new_run(command)
        except BaseException:
            self.close()
            if new_folder and self.ctx.is_main:
                with contextlib.suppress(OSError):
                    (self.run_dir / LOCK_FILE).unlink()
                    self.run_dir.rmdir()  # only if nothing else was written
            raise
        self._newest_seen = self._newest_on_disk()  # see _refuse_if_stale
        self.writer = HistoryWriter(self.run_dir if self.ctx.is_main else None, records)
        if self.resumed_changes:
            self.writer.append({
                "kind": "resume", "step": self.step, "epoch": self.step / self.steps_per_epoch,
                "wall_time": self.elapsed, "changed": {k: list(v) for k, v in self.resumed_changes.items()},
            })

    def close(self) -> None:
        """Unlock the run directory (``fit`` does it when it ends; call it for a trainer you drop unfitted)."""
        self.lock.release()

    def _build(self, model: nn.Module | None, train_set, val_set) -> None:
        """Data, model, weight average, optimiser, schedule, monitors, and the counters resume restores."""
        cfg = self.config
        self._build_data(train_set, val_set)
        seed_everything(cfg.seed)
        if model is None:
            model = self._build_model(self.train_set.num_classes)
            if self.image_size < getattr(model, "min_image_size", 0):
                raise SettingsError(
                    f"image_size {self.image_size} is below {cfg.model}'s minimum of {model.min_image_size} px:"
                    f" pass --image-size {model.min_image_size} or more (its design size is {model.default_image_size})"
                )
        memory_format = torch.channels_last if cfg.channels_last else torch.preserve_format
        model = model.to(self.device, memory_format=memory_format)
        self.ddp = wrap_model(model, self.ctx, cfg.sync_bn)
        self.model = self.ddp.module if self.ctx.enabled else self.ddp  # the plain module: saved, averaged, evaluated
        self.train_model = torch.compile(self.ddp) if cfg.compile else self.ddp
        if self.ctx.enabled:
            torch.manual_seed(cfg.seed + self.ctx.rank)  # different dropout masks on each process
        self.ema = ModelEMA(self.model, cfg.ema_decay) if cfg.ema_decay is not None else None
        self.params = list(self.model.parameters())  # listed once: clipping reads them every step
        self.global_batch = cfg.batch_size * cfg.accum_steps * self.ctx.world_size
        scaled = scale_lr(cfg.base_lr, self.global_batch, cfg.reference_batch_size, cfg.lr_scaling)
        self.lr = cfg.lr if cfg.lr is not None else scaled
        self.optimizer = build_optimizer(
            self.model, cfg.optimizer, self.lr, cfg.momentum, cfg.weight_decay, cfg.rmsprop_decay, cfg.rmsprop_eps
        )
        self.scheduler = paper_schedule(
            self.optimizer, self.steps_per_epoch, cfg.lr_decay, cfg.lr_decay_epochs, cfg.warmup_epochs
        )
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        self.criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        self.guard = NonFiniteLossGuard(self.device)
        has_pool = isinstance(getattr(self.model, "global_pool", None), nn.Module)
        self.zero_monitor = ZeroActivationMonitor(self.model, cfg.zero_fraction_warn) if has_pool else None
        # position and counters (restored by resume)
        self.step = self.epoch = self.batch_in_epoch = 0
        self.elapsed = 0.0
        self.skipped = torch.zeros((), dtype=torch.long, device=self.device)
        self.last_checkpoint: str | None = None
        self.health: list[dict[str, Any]] = []  # per checkpoint: step, mean loss since the one before, weight norm
        self._healthy: Path | None = None  # the newest checkpoint not diverging, kept beyond keep_checkpoints
        self.resumed_changes: dict[str, tuple[Any, Any]] = {}
        self._reset_interval()

    # ----------------------------------------------------------------- set-up
    def _build_data(self, train_set, val_set) -> None:
        cfg = self.config
        self.image_size = cfg.image_size or self._default_image_size()
        given = {"train": train_set, "val": val_set}

        def build(download: bool) -> dict[str, torch.utils.data.Dataset]:
            return {split: self._build_split(split, download) if data is None else data for split, data in given.items()}

        if cfg.download:  # rank 0 alone fetches and extracts; the other processes then read what it wrote
            built = rank_zero_first(self.ctx, lambda: build(True), lambda: self._read_downloaded(build))
        else:
            built = build(False)
        self.train_set, self.val_set = built["train"], built["val"]
        world, rank = self.ctx.world_size, self.ctx.rank
        epoch_size = getattr(self.train_set, "epoch_size", None)  # a fresh sample each epoch (Fashion-MNIST)
        self.train_sampler = ResumableSampler(len(self.train_set), True, cfg.seed, world, rank, epoch_size=epoch_size)
        val_sampler = ResumableSampler(len(self.val_set), False, cfg.seed, world, rank, pad=False)
        self.train_loader = build_loader(
            self.train_set, cfg.batch_size, False, cfg.num_workers, self.train_sampler, drop_last=True, seed=cfg.seed,
            rank=rank,
        )
        self.val_loader = build_loader(self.val_set, cfg.batch_size, False, cfg.num_workers, val_sampler, seed=cfg.seed)
        self.steps_per_epoch = len(self.train_loader) // cfg.accum_steps
        if self.steps_per_epoch == 0:
            raise SettingsError(
                f"the training set has {len(self.train_set)} images: too few for one step of"
                f" {cfg.batch_size} x {cfg.accum_steps} (accumulation) x {world} (processes) images."
                " Lower --batch-size or --accum-steps, or use more images."
            )

    def _build_split(self, split: str, download: bool) -> torch.utils.data.Dataset:
        cfg, size = self.config, self.image_size
        transform = None if cfg.data in TENSOR_DATASETS else transforms_for(cfg.model, size, split == "train")
        try:
            return build_dataset(cfg.data, split, cfg.data_root, size, download, transform, **cfg.data_kwargs)
        except ValueError as error:  # a name or an option build_dataset does not take
            raise SettingsError(f"data set {cfg.data!r}: {error}") from error

    def _read_downloaded(self, build: Callable[[bool], dict[str, Any]]) -> dict[str, Any]:
        """The data sets on a process other than rank 0, after rank 0 prepared them: read, never written."""
        try:
            return build(False)
        except DatasetNotFoundError as error:
            raise DatasetNotFoundError(
                f"{error} (rank {self.ctx.rank} does not see what rank 0 downloaded: on several machines without a"
                " shared file system, download the data on each machine first, or pass a shared --data-root)"
            ) from error

    def _default_image_size(self) -> int:
        """The model's design size (224 px for GoogLeNet and BN-Inception, else 299 px)."""
        spec = MODEL_INPUTS.get(self.config.model)
        return spec.image_size if spec is not None else 299

    def _build_model(self, num_classes: int) -> nn.Module:
        cfg = self.config
        options: dict[str, Any] = {"width": cfg.width, "dropout": cfg.dropout, **cfg.model_kwargs}
        if cfg.depths is not None:
            options["depths"] = cfg.depths
        if cfg.model in AUX_MODELS:
            options["aux_logits"] = bool(cfg.aux_weights)
        elif cfg.aux_weights:
            raise SettingsError(f"{cfg.model} has no auxiliary classifiers; aux_weights must be empty")
        try:
            return create_model(cfg.model, num_classes=num_classes, **options)
        except ValueError as error:  # an option, width, depth or config the network does not take
            raise SettingsError(f"model {cfg.model!r}: {error}") from error

    def _choose_run_dir(self) -> Path:
        """``out``; else a new ``runs/<model>-<data>-<date>-<time>-<microseconds>`` (two runs started in
        the same second get two folders), or with ``resume`` the newest such folder."""
        cfg = self.config
        prefix = f"{cfg.model}-{cfg.data}-"
        if cfg.resume and cfg.out and not Path(cfg.out).is_dir():
            raise SettingsError(
                f"nothing to resume: {cfg.out} does not exist. Check the path, or drop --resume to start a new run there"
            )
        if cfg.out:
            return Path(cfg.out)
        if cfg.resume:
            earlier = sorted(Path("runs").glob(prefix + "*")) if Path("runs").is_dir() else []
            if not earlier:
                raise SettingsError(
                    f"nothing to resume: no earlier run runs/{prefix}*. Pass the run's folder with --out,"
                    " or drop --resume"
                )
            return earlier[-1]
        return Path("runs") / (prefix + datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f"))

    def _start_new_run(self, command: str | None) -> list[dict[str, Any]]:
        """Write ``config.json`` for a new run; its (empty) list of history records."""
        if list_checkpoints(self.checkpoint_dir):
            raise FileExistsError(
                f"{self.run_dir} already holds checkpoints: pass --resume (resume=True) to continue that run,"
                " or choose another --out"
            )
        if self.ctx.is_main:
            self._write_info({
                "config": self.config.to_dict(),
                "command": command,
                "resolved": self._resolved(),
                "environment": environment(self.device, self.ctx.world_size),
            })
        barrier(self.ctx)
        return []

    def _resolved(self) -> dict[str, Any]:
        return {
            "precision": self.precision, "lr": self.lr, "global_batch": self.global_batch,
            "image_size": self.image_size, "steps_per_epoch": self.steps_per_epoch,
            "num_classes": self.train_set.num_classes,
        }

    def _write_info(self, info: dict[str, Any]) -> None:
        """Replace ``config.json`` atomically."""
        tmp = self.run_dir / "config.json.tmp"
        tmp.write_text(json.dumps(info, indent=2))
        os.replace(tmp, self.run_dir / "config.json")

    # ----------------------------------------------------------------- resume and checkpoints
    def _find_checkpoint(
        self, problem: Callable[[dict[str, Any]], str | None] | None = None
    ) -> tuple[Path, dict[str, Any]]:
        """The newest valid checkpoint (without a ``problem``), after checking that the settings may
        resume it (before any model or data is built, so that a wrong ``--model`` fails here and says so)."""
        found = latest_checkpoint(self.checkpoint_dir, problem=problem)
        if found is None and list_checkpoints(self.checkpoint_dir):
            raise ValueError(f"no checkpoint in {self.checkpoint_dir} is usable (see the warnings above)")
        if found is None:
            raise SettingsError(
                f"nothing to resume: {self.checkpoint_dir} holds no checkpoint (a mistyped --out, or a run stopped"
                " before its first checkpoint). To start a new run there, drop --resume"
            )
        path, state = found
        refused = self.config.differences(state["config"])
        if refused:
            listing = "; ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in refused.items())
            raise SettingsError(f"cannot resume {path} with different settings ({listing}); use the original ones")
        return found

    def _restore_problem(self, state: dict[str, Any]) -> str | None:
        """Why ``state`` cannot be loaded into the network, weight average and optimiser just built."""
        return restore_problem(state, self.model, self.ema.module if self.ema is not None else None, self.optimizer)

    def _restore(self, path: Path, state: dict[str, Any], command: str | None) -> list[dict[str, Any]]:
        """Load ``state`` into the freshly built trainer; return the history records it holds.

        Settings a resumed run may change (:attr:`TrainConfig.RESUMABLE_CHANGES`) take effect from
        here on: a new learning rate or schedule is applied at the restored step.
        """
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):  # absent from checkpoints written without a grad scaler
            self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        self.step, self.epoch, self.batch_in_epoch = state["step"], state["epoch"], state["batch_in_epoch"]
        self.elapsed = state["wall_time"]
        self.skipped.fill_(state["skipped_steps"])
        self.last_checkpoint = str(path)
        self.health = [h for h in state.get("health", []) if h["step"] <= self.step]  # absent before it existed
        self._healthy = path
        rngs = state["rng"]
        if len(rngs) != self.ctx.world_size:
            self._say(f"checkpoint written by {len(rngs)} processes, resumed on {self.ctx.world_size}: not bit-exact")
        set_rng_state(rngs[self.ctx.rank % len(rngs)])
        changes = self.config.changes(state["config"])
        self.resumed_changes = {k: v for k, v in changes.items() if k not in ("out", "resume")}
        if self.config.SCHEDULE_FIELDS & set(changes):
            self._apply_schedule()
        if self.resumed_changes and self.ctx.is_main:
            listing = ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in self.resumed_changes.items())
            self._say(f"changed on resume: {listing}")
            saved = self.run_dir / "config.json"
            info = json.loads(saved.read_text()) if saved.is_file() else {}
            info.update(config={**self.config.to_dict(), "resume": False}, resolved=self._resolved())
            info.setdefault("resumed", []).append({
                "step": self.step, "changed": {k: list(v) for k, v in self.resumed_changes.items()}, "command": command,
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            })
            self._write_info(info)
        self._say(f"resuming from {path} (step {self.step}, epoch {self.epoch + 1})")
        return state["history"]

    def _apply_schedule(self) -> None:
        """Replace the restored learning rate and schedule by this config's, at the restored step."""
        cfg = self.config
        factor = PaperLRFactor(self.steps_per_epoch, cfg.lr_decay, cfg.lr_decay_epochs, cfg.warmup_epochs)
        groups = self.optimizer.param_groups
        self.scheduler.lr_lambdas = [factor] * len(groups)
        self.scheduler.base_lrs = [self.lr] * len(groups)
        for group in groups:
            group["initial_lr"] = self.lr
            group["lr"] = self.lr * factor(self.scheduler.last_epoch)
        self.scheduler._last_lr = [group["lr"] for group in groups]  # noqa: SLF001  (what get_last_lr reports)

    def _check_loss(self) -> None:
        """Raise :class:`NonFiniteLossError` if a loss so far was NaN or infinite (synchronises).

        The checkpoint of the step just before the bad one holds the weights that gave the bad loss
        (a resumed run meets the same batch next), so it is renamed ``*.pt.nonfinite``, where
        ``--resume`` does not look; so are the checkpoints that were already diverging (see
        :meth:`_last_healthy`), and the message names the newest healthy one.
        """
        bad_step = self._first_bad_step()
        if bad_step is None:
            return
        last_good = self._last_healthy(bad_step - 2)
        raise NonFiniteLossError(
            non_finite_message(f"the training loss became NaN or infinite at step {bad_step}", self.epoch, last_good)
        )

    def _first_bad_step(self) -> int | None:
        """The first step whose loss was NaN or infinite on any process, or ``None`` (synchronises).
        Every process gets the same answer, so that all stop together: one that saw only finite
        losses would otherwise go on to wait forever in the next step's gradient all-reduce."""
        none = 2**62
        local = self.guard.first_bad()
        step = min_over_ranks(none if local is None else local, self.ctx)
        return None if step == none else step

    def save_checkpoint(self) -> None:
        """Write a checkpoint of the current state (rank 0), after checking that the loss was finite
        and that the weights, their average and the optimiser state are."""
        self._check_loss()
        live = {
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "optimizer": self.optimizer.state_dict(),
        }
        on_any_rank = gather_objects(non_finite_parts(live), self.ctx)  # batch norm buffers may differ between ranks
        bad = [part for part in live if any(part in parts for parts in on_any_rank)]
        if bad:
            raise NonFiniteLossError(non_finite_message(
                f"the {' and '.join(bad)} state became NaN or infinite at step {self.step}", self.epoch,
                self._last_healthy(self.step), detail=", blown up by an update while the loss was still finite",
            ))
        health = {"step": self.step, "loss": self._mean_loss(), "weight_norm": weight_norm(self.model)}
        rngs = gather_objects(rng_state(), self.ctx)
        if self.ctx.is_main:
            self._refuse_if_stale()
            state = {
                **live,
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "step": self.step,
                "epoch": self.epoch,
                "batch_in_epoch": self.batch_in_epoch,
                "wall_time": self.wall_time(),
                "skipped_steps": int(self.skipped),
                "rng": rngs,
                "history": self.history.records,
                "config": self.config.to_dict(),
                "health": [*self.health, health],
            }
            if diverging(health, self.health) is None:
                self._healthy = checkpoint_path(self.checkpoint_dir, self.step)
            path = save_checkpoint(state, self.checkpoint_dir, self.step, self.config.keep_checkpoints, self._healthy)
            self.last_checkpoint = str(path)
            self._newest_seen = self._newest_on_disk()
        self.last_checkpoint = broadcast_object(self.last_checkpoint, self.ctx)
        self.health.append(health)

    def _mean_loss(self) -> float | None:
        """The mean training loss since the last checkpoint over every process's share of the batches."""
        loss = self.guard.take_mean_loss()
        if not self.ctx.enabled or loss is None:
            return loss
        return sum(gather_objects(loss, self.ctx)) / self.ctx.world_size

    def _last_healthy(self, last_finite_step: int) -> str | None:
        """After a NaN: the newest checkpoint up to ``last_finite_step`` whose weights were not
        already diverging (:func:`monitors.diverging`: its loss and weight norm against the run's
        earlier checkpoints). Every newer one is set aside (renamed ``*.pt.nonfinite`` or
        ``*.pt.diverged``, where ``--resume`` does not look), so that ``--resume`` takes the one named.
        Rank 0, which wrote the checkpoints, decides; every process names its answer."""
        return broadcast_object(self._set_aside_diverged(last_finite_step) if self.ctx.is_main else None, self.ctx)

    def _set_aside_diverged(self, last_finite_step: int) -> str | None:
        """:meth:`_last_healthy` on rank 0."""
        earlier = {h["step"]: i for i, h in enumerate(self.health)}
        for path in reversed(list_checkpoints(self.checkpoint_dir)):
            step = int(path.stem.split("_")[1])
            if step > last_finite_step:
                reason, suffix = None, ".nonfinite"
            else:
                i = earlier.get(step)
                reason, suffix = (diverging(self.health[i], self.health[:i]) if i is not None else None), ".diverged"
                if reason is None:
                    return str(path)
            os.replace(path, path.with_name(path.name + suffix))
            if reason:
                self._say(f"set aside {path}: {reason}")
        return None

    def _refuse_if_stale(self) -> None:
        """Raise :class:`StaleTrainerError` if the newest checkpoint on disk is not the one it was
        when this trainer last wrote or read it: another trainer has advanced the run since (e.g. a notebook's
        interrupted trainer, whose run was resumed to its end by a new one)."""
        newest = self._newest_on_disk()
        if newest != self._newest_seen:
            raise StaleTrainerError(
                f"{self.run_dir} has been advanced by another trainer (its newest checkpoint is {newest}; when this"
                f" trainer last wrote it was {self._newest_seen}): this one refuses to write to it. To continue the"
                " run, make a new Trainer with resume=True (--resume)"
            )

    def _newest_on_disk(self) -> str | None:
        saved = list_checkpoints(self.checkpoint_dir)
        return str(saved[-1]) if saved else None

    # ----------------------------------------------------------------- the loop
    @property
    def history(self) -> History:
        return self.writer.history

    def wall_time(self) -> float:
        """Seconds of training so far, over all sessions of this run."""
        return self.elapsed + time.perf_counter() - self._session_start

    def fit(self) -> History:
        """Train until ``config.epochs``; returns the run's :class:`History`."""
        self._session_start = self._interval_start = time.perf_counter()
        self._interval_step = self.step
        try:
            if self.ctx.is_main:
                self.lock.acquire()  # held since __init__, unless fit runs a second time
                self._refuse_if_stale()
            while self.epoch < self.config.epochs:
                self._train_epoch()
                self._end_epoch()
        finally:
            if self.zero_monitor is not None:
                self.zero_monitor.remove()
            self.close()
            shutdown(self.ctx)
        return self.history

    def _train_epoch(self) -> None:
        cfg = self.config
        self.train_sampler.set_epoch(self.epoch, start=self.batch_in_epoch * cfg.batch_size)
        batches = iter(self.train_loader)
        done = self.batch_in_epoch // cfg.accum_steps
        quiet = {} if self.ctx.is_main else {"disable": True}  # not passing it lets TQDM_DISABLE=1 work
        bar = progress_bar(
            total=self.steps_per_epoch, initial=done, desc=f"epoch {self.epoch + 1}/{cfg.epochs}",
            unit="step", leave=False, dynamic_ncols=True, **quiet,
        )
        self.train_model.train()
        for _ in range(self.steps_per_epoch - done):
            micro_batches = [next(batches) for _ in range(cfg.accum_steps)]
            if self.zero_monitor is not None and (self.step + 1) % cfg.log_every == 0:
                self.zero_monitor.arm()
            try:
                self.train_step(micro_batches)
            except torch.cuda.OutOfMemoryError as err:
                raise TrainingOutOfMemoryError(
                    out_of_memory_message(cfg.batch_size, cfg.accum_steps, self.image_size, cfg.model, self.precision)
                ) from err
            self.step += 1
            self.batch_in_epoch += cfg.accum_steps
            bar.update(1)
            if self.step % cfg.log_every == 0:
                bar.set_postfix(self._log_train(), refresh=False)
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self.save_checkpoint()
            self._stop_if_asked()
        bar.close()

    def _stop_if_asked(self) -> None:
        """After a stop signal (see ``signals.py``): checkpoint this step and raise
        :class:`TrainingStopped`. Distributed processes agree at logging steps (one all-reduce)."""
        signum = stop_requested() or 0
        if self.ctx.enabled:
            if self.step % self.config.log_every:
                return
            signum = max_over_ranks(signum, self.ctx)
        if not signum:
            return
        if self.last_checkpoint != str(checkpoint_path(self.checkpoint_dir, self.step)):
            self.save_checkpoint()
        raise TrainingStopped(signum, self.last_checkpoint, self.run_dir)

    def _prepare(self, images: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        memory_format = torch.channels_last if self.config.channels_last else torch.preserve_format
        images = images.to(self.device, non_blocking=True, memory_format=memory_format)
        return images, targets.to(self.device, non_blocking=True)

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=AUTOCAST_DTYPES[self.precision])

    def _loss(self, outputs: torch.Tensor | tuple[torch.Tensor, ...], targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy with label smoothing, plus the weighted auxiliary-classifier losses."""
        if not isinstance(outputs, (tuple, list)):
            return self.criterion(outputs, targets)
        logits, *aux = outputs
        weights = self.config.aux_weights
        if len(aux) != len(weights):
            raise ValueError(f"the model returned {len(aux)} auxiliary outputs but aux_weights has {len(weights)}")
        loss = self.criterion(logits, targets)
        for weight, aux_logits in zip(weights, aux):
            loss = loss + weight * self.criterion(aux_logits, targets)
        return loss

    def train_step(self, micro_batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """One optimiser step over ``accum_steps`` micro-batches (see the module docstring)."""
        cfg = self.config
        for i, batch in enumerate(micro_batches):
            images, targets = self._prepare(*batch)
            last = i == len(micro_batches) - 1
            sync = contextlib.nullcontext() if last or not self.ctx.enabled else self.ddp.no_sync()
            with sync:
                with self._autocast():
                    loss = self._loss(self.train_model(images), targets)
                self.scaler.scale(loss / len(micro_batches)).backward()
            self.guard.update(loss, self.step + 1)
            self._loss_sum += loss.detach().float()
            self._loss_count += 1
        scale_before = self.scaler._scale.clone() if self.scaler.is_enabled() else None  # noqa: SLF001
        if cfg.clip_grad_norm is not None:
            self.scaler.unscale_(self.optimizer)
            self._grad_norm = clip_gradients_(self.params, cfg.clip_grad_norm, cfg.clip_mode)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if scale_before is not None:  # the scaler lowers its scale exactly when it skipped the step
            self.skipped += (self.scaler._scale < scale_before).long()  # noqa: SLF001
        self.optimizer.zero_grad(set_to_none=True)
        self._lr_used = self.optimizer.param_groups[0]["lr"]
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model)

    def _reset_interval(self) -> None:
        self._loss_sum = torch.zeros((), device=self.device)
        self._loss_count = 0
        self._grad_norm: torch.Tensor | None = None

    def _log_train(self) -> dict[str, str]:
        """Append a train record (synchronises with the device); returns progress-bar fields."""
        self._check_loss()
        now = time.perf_counter()
        images = (self.step - self._interval_step) * self.global_batch
        record = {
            "kind": "train",
            "step": self.step,
            "epoch": self.step / self.steps_per_epoch,
            "wall_time": self.wall_time(),
            "train_loss": float(self._loss_sum) / max(1, self._loss_count),
            "lr": self._lr_used,
            "images_per_s": images / max(now - self._interval_start, 1e-9),
            "skipped_steps": int(self.skipped),
            "zero_fraction": self.zero_monitor.read(self.step) if self.zero_monitor is not None else None,
            "grad_norm": float(self._grad_norm) if self._grad_norm is not None else None,
        }
        self.writer.append(record)
        self._reset_interval()
        self._interval_start, self._interval_step = now, self.step
        return {"loss": f"{record['train_loss']:.3f}", "lr": f"{record['lr']:.3g}", "img/s": f"{record['images_per_s']:.0f}"}

    def _end_epoch(self) -> None:
        """Validate (and with the weight average), record, advance the epoch, checkpoint."""
        self._check_loss()
        record: dict[str, Any] = {"kind": "val", "step": self.step, "epoch": self.epoch + 1}
        models = {"val": self.model, "ema_val": self.ema.module if self.ema is not None else None}
        for prefix, model in models.items():
            if model is not None:
                broadcast_buffers(model, self.ctx)  # every rank validates the network rank 0 saves
                metrics = evaluate(model, self.val_loader, self._prepare, self._autocast, self.ctx)
                record.update({f"{prefix}_{k}": v for k, v in metrics.items()})
        record["wall_time"] = self.wall_time()
        self.writer.append(record)
        summary = f"epoch {self.epoch + 1}/{self.config.epochs}: val top-1 error {record['val_top1_err']:.2%}, top-5 {record['val_top5_err']:.2%}"
        if "ema_val_top1_err" in record:
            summary += f" (weight average: {record['ema_val_top1_err']:.2%}, {record['ema_val_top5_err']:.2%})"
        self._say(summary)
        self.epoch += 1
        self.batch_in_epoch = 0
        self.save_checkpoint()

    def _say(self, message: str) -> None:
        if self.ctx.is_main:
            write(message)


def train(model: str = "inception_v4", data: str = "synthetic", **settings: Any) -> History:
    """Train with the presets for ``model`` and ``data`` plus ``settings`` (any
    :class:`TrainConfig` field); returns the :class:`History` (``history.run_dir`` is the run
    directory). For the trained model itself use ``Trainer(config).fit()`` and ``trainer.model``.

    >>> history = train("inception_v3", "imagenette", epochs=5, batch_size=64)
    """
    return Trainer(TrainConfig.from_preset(model, data, **settings)).fit()
