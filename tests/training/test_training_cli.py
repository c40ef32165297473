"""The command line: flags generated from TrainConfig, presets, resume, errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inception_course.training import TrainConfig, load_history
from inception_course.training.cli import build_parser, config_from_args, main

REPO = Path(__file__).resolve().parents[2]


def test_flags_cover_every_setting_and_parse_types():
    config = config_from_args([
        "--model", "googlenet", "--data", "synthetic", "--epochs", "3", "--batch-size", "16", "--width", "0.5",
        "--depths", "1", "2", "--clip-grad-norm", "none", "--no-channels-last", "--optimizer", "sgd",
        "--model-kwargs", '{"config": "paper"}', "--aux-weights",
    ])
    assert (config.model, config.epochs, config.batch_size, config.width) == ("googlenet", 3, 16, 0.5)
    assert config.depths == (1, 2) and config.clip_grad_norm is None and config.channels_last is False
    assert config.optimizer == "sgd" and config.model_kwargs == {"config": "paper"} and config.aux_weights == ()
    assert config_from_args(["--model", "googlenet"]).aux_weights == (0.3, 0.3)  # preset kept when not given
    help_text = build_parser().format_help()
    for flag in ("--model", "--data", "--epochs", "--batch-size", "--image-size", "--width", "--out", "--resume",
                 "--accum-steps", "--precision", "--compile", "--sync-bn", "--ema-decay", "--lr"):
        assert flag in help_text
    with pytest.raises(SystemExit):
        config_from_args(["--optimizer", "adam"])


def test_resume_reads_the_run_config_and_applies_only_given_flags(tmp_path):
    saved = TrainConfig.from_preset("inception_v3", "synthetic", out=str(tmp_path), batch_size=3, epochs=1)
    (tmp_path / "config.json").write_text(json.dumps({"config": saved.to_dict()}))
    config = config_from_args(["--resume", "--out", str(tmp_path), "--epochs", "5"])
    assert (config.model, config.batch_size, config.epochs, config.resume) == ("inception_v3", 3, 5, True)


def test_bad_input_gives_a_message_and_an_error_status(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["--model", "resnet50"])
    assert info.value.code == 2 and "invalid choice: 'resnet50'" in capsys.readouterr().err
    assert main(["--data-kwargs", '{"colour": "red"}', "--out", str(tmp_path)]) == 1
    assert "unknown option(s) ['colour']" in capsys.readouterr().err


def test_python_dash_m_trains_on_synthetic_data_by_default(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inception_course.train", "--model", "inception_v4", "--width", "0.25",
         "--depths", "1", "1", "1", "--image-size", "75", "--batch-size", "4", "--num-workers", "0",
         "--data-kwargs", '{"num_images": 8}', "--log-every", "1", "--out", "run"],
        cwd=tmp_path, env={"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "INCEPTION_COURSE_FAST": "1",
                           "TQDM_DISABLE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "final val top-1 error" in result.stdout
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["config"]["data"] == "synthetic" and info["command"].startswith("python -m inception_course.train")
    assert {"device", "torch", "date", "host"} <= set(info["environment"])
    history = load_history(tmp_path / "run")
    assert [r["step"] for r in history.train] == [1, 2] and len(history.val) == 1
    assert (tmp_path / "run" / "checkpoints" / "step_00000002.pt").is_file()
