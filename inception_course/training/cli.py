"""The command line: one ``--flag`` per :class:`TrainConfig` field, plus ``--debug``.

    python -m inception_course.train --model inception_v4 --data imagenette --epochs 40
    inception-train --model googlenet --batch-size 64 --precision bf16
    python -m inception_course.train --resume --out runs/inception_v4-imagenette-20260101-120000

Flags are generated from the dataclass (``--batch-size`` for ``batch_size``; ``--no-ema``-style
negations for booleans: ``--channels-last/--no-channels-last``), so a new setting needs no CLI code.
Optional numbers take ``none`` to switch a feature off (``--clip-grad-norm none``); dictionaries
take JSON (``--model-kwargs '{"residual_scale": 0.1}'``).

Settings come from, in increasing priority: the paper's recipe, the model's and the data set's
presets (``training/presets.py``), and the flags given. With ``--resume`` on an existing run
directory, the run's own ``config.json`` replaces the presets, so only the flags you want to change
(e.g. ``--epochs``) need repeating.

Errors a user can cause (a bad setting, a busy or unwritable run folder, a full disk, a corrupt
download, an unreadable image, a NaN) print one line, ``inception-train: error: ...``, naming the
cause and what to do; the exit status is 2 for a usage error, 1 for a run that failed. ``--debug``
shows the traceback instead. Ctrl-C or SIGTERM stops after the current step with a checkpoint of it
and one line saying how to resume (exit status 130 or 143, see ``signals.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import typing
from pathlib import Path
from typing import Any, Callable, Sequence

from ..data.errors import BadImageError, DownloadError
from .monitors import NonFiniteLossError, TrainingOutOfMemoryError
from .presets import DATA_PRESETS, MODEL_PRESETS
from .runlock import RunDirectoryInUseError
from .signals import TrainingStopped, stop_on_signals
from .trainer import Trainer
from .train_config import SettingsError, TrainConfig


CHOICES = {"model": list(MODEL_PRESETS), "data": list(DATA_PRESETS)}


def _none_or(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        return None if text.lower() == "none" else convert(text)

    parse.__name__ = getattr(convert, "__name__", "value")  # argparse names the type in its errors
    return parse


def _json_object(text: str) -> dict[str, Any]:
    """A JSON object (``{"key": value}``), or argparse's usage error saying what was wrong."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): write an object such as '{{\"num_classes\": 10}}'")
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"{text} is not a JSON object: write one such as '{{\"num_classes\": 10}}'")
    return value


def _add_field(parser: argparse.ArgumentParser, field: dataclasses.Field, hint: Any) -> None:
    """One flag for ``field``, its parser derived from the type hint."""
    flag = "--" + field.name.replace("_", "-")
    help_text = field.metadata.get("help", "")
    if field.default not in (dataclasses.MISSING, None, ()):
        help_text += f" (recipe: {field.default})"
    options: dict[str, Any] = {"help": help_text, "dest": field.name}
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = type(None) in typing.get_args(hint)
    base = args[0] if optional and len(args) == 1 else hint
    origin = typing.get_origin(base)
    if field.name in CHOICES:
        options["choices"] = CHOICES[field.name]
    elif base is bool:
        options["action"] = argparse.BooleanOptionalAction
    elif origin is typing.Literal:
        options["choices"] = typing.get_args(base)
    elif origin is tuple:
        item = typing.get_args(base)[0]
        options.update(nargs="*", type=item, metavar=item.__name__.upper())
    elif base is dict or origin is dict:
        options.update(type=_json_object, metavar="JSON")
    else:
        options.update(type=_none_or(base) if optional else base, metavar=base.__name__.upper())
    parser.add_argument(flag, **options)


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line (the full usage is long: ``--help`` shows it)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (--help lists every flag)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser; unset flags are absent from the result (``SUPPRESS``) so that presets
    and saved configs keep their values."""
    parser = _Parser(
        prog="inception-train",
        description="Train an Inception network with the paper's recipe (see inception_course/training/presets.py).",
        argument_default=argparse.SUPPRESS,
    )
    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        _add_field(parser, field, hints[field.name])
    parser.add_argument("--debug", action="store_true", default=False, help="show the traceback of an error")
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> TrainConfig:
    """Parse ``argv`` into a :class:`TrainConfig` (see the module docstring for the priorities)."""
    given = vars(build_parser().parse_args(argv))
    given.pop("debug")
    return _config(given)


def _config(given: dict[str, Any]) -> TrainConfig:
    out = given.get("out")
    if given.get("resume") and out and (Path(out) / "config.json").is_file():
        return TrainConfig.load(out).replace(**given)
    model = given.pop("model", TrainConfig.model)
    data = given.pop("data", TrainConfig.data)
    return TrainConfig.from_preset(model, data, **given)


def one_line(error: BaseException) -> str:
    """``error``'s message on one line. An error raised in a data-loader worker arrives with the
    worker's traceback in its message: only the original message (its last line) is kept."""
    text = str(error)
    if isinstance(error, OSError) and error.strerror and error.filename is None:
        text = error.strerror  # our own messages, without the "[Errno 28]" prefix
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Caught "):
        return lines[-1].split(": ", 1)[-1]
    return " ".join(lines) or type(error).__name__


#: What a user's settings, files, data or hardware can cause: one line and exit status 1 (2 for
#: ``SettingsError``, a usage error). Anything else is a bug and keeps its traceback.
USER_ERRORS = (
    ValueError, OSError, NonFiniteLossError, TrainingOutOfMemoryError, RunDirectoryInUseError, DownloadError,
    BadImageError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m inception_course.train`` and ``inception-train``.

    Exit status: 0 done; 1 the run failed (files, disk, data, a NaN); 2 a usage error (a flag or
    setting that cannot work); 130 / 143 stopped by Ctrl-C / SIGTERM (its state checkpointed). ``--debug`` shows the traceback instead of the one-line message.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    given = vars(build_parser().parse_args(argv))
    debug = given.pop("debug")
    try:
        config = _config(given)
        trainer = Trainer(config, command=shlex.join(["python", "-m", "inception_course.train", *argv]))
        if trainer.device.type == "cpu" and trainer.image_size >= 224 and config.width >= 0.5:
            print(
                "inception-train: note: a full-size network on a CPU takes hours per epoch; for a run of"
                " seconds set INCEPTION_COURSE_FAST=1, or pass e.g. --width 0.25 --image-size 75",
                file=sys.stderr,
            )
        with stop_on_signals():
            history = trainer.fit()
    except TrainingStopped as stop:
        if trainer.ctx.is_main:
            print(f"inception-train: {stop}", file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt:  # a second Ctrl-C, or one before training began
        print("inception-train: interrupted: stopped at once; the checkpoints written so far are kept", file=sys.stderr)
        return 130
    except USER_ERRORS as err:
        if debug:
            raise
        print(f"inception-train: error: {one_line(err)}", file=sys.stderr)
        return 2 if isinstance(err, SettingsError) else 1
    final = history.val[-1] if history.val else {}
    if trainer.ctx.is_main:
        print(f"run directory: {trainer.run_dir}")
        if final:
            print(f"final val top-1 error {final['val_top1_err']:.2%}, top-5 error {final['val_top5_err']:.2%}")
    return 0
