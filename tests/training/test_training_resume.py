"""Exact resumption: a run killed with SIGKILL and resumed ends with the same weights, bit for bit,
as a run that was never interrupted (on a CPU, with ``num_workers=0``)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from inception_course.training import TrainConfig, Trainer, latest_checkpoint
from inception_course.training.checkpoint import checkpoint_path, list_checkpoints
from training_tiny import tiny_settings

REPO = Path(__file__).resolve().parents[2]
# A small real Inception network: 2 epochs of 6 steps, a checkpoint every 2 steps.
SETTINGS = tiny_settings(
    width=0.25, depths=(1, 1, 1), image_size=75, epochs=2, checkpoint_every=2, keep_checkpoints=3, dropout=0.2
)
FLAGS = [
    "--model", "inception_v4", "--data", "synthetic", "--width", "0.25", "--depths", "1", "1", "1",
    "--image-size", "75", "--epochs", "2", "--batch-size", "4", "--num-workers", "0", "--log-every", "1",
    "--checkpoint-every", "2", "--keep-checkpoints", "3", "--ema-decay", "0.9", "--dropout", "0.2",
    "--data-kwargs", '{"num_images": 24, "num_classes": 4}', "--precision", "fp32", "--device", "cpu",
]
KILL_AFTER_STEP = 8  # mid-way through the second epoch, after an epoch-end checkpoint


def _final_state(run_dir):
    return latest_checkpoint(Path(run_dir) / "checkpoints")[1]


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), f"{name} differs"


def test_killed_and_resumed_run_matches_uninterrupted_run(tmp_path):
    straight = Trainer(TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path / "straight"), **SETTINGS))
    straight.fit()

    run = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inception_course.train", *FLAGS, "--out", str(run)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    target = checkpoint_path(run / "checkpoints", KILL_AFTER_STEP)
    deadline = time.monotonic() + 120
    while not target.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, (
        f"the run ended on its own before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    )
    proc.stderr.close()
    saved = list_checkpoints(run / "checkpoints")
    assert saved and saved[-1].name != "step_00000012.pt"

    # damage the newest checkpoint too: resumption must report it and fall back to the one before
    saved[-1].write_bytes(saved[-1].read_bytes()[:1000])
    with pytest.warns(UserWarning, match=f"skipping checkpoint {saved[-1]}"):
        resumed = Trainer(TrainConfig.load(run).replace(resume=True))
    assert resumed.step == int(saved[-2].stem.split("_")[1])
    resumed.fit()

    a, b = _final_state(tmp_path / "straight"), _final_state(run)
    assert a["step"] == b["step"] == 12
    _assert_identical(a["model"], b["model"])
    _assert_identical(a["ema"]["module"], b["ema"]["module"])
    for s in (a, b):
        for r in s["history"]:
            r.pop("wall_time"), r.pop("images_per_s", None)
    assert a["history"] == b["history"]
    assert len([r for r in a["history"] if r["kind"] == "val"]) == 2


def test_resume_refuses_changed_settings(tmp_path):
    out = str(tmp_path / "run")
    Trainer(TrainConfig.from_preset("inception_v4", "synthetic", out=out, **{**SETTINGS, "epochs": 1})).fit()
    more = TrainConfig.load(out).replace(resume=True, epochs=2)  # a longer run is allowed
    assert Trainer(more).epoch == 1
    with pytest.raises(ValueError, match="batch_size: 4 -> 2"):
        Trainer(TrainConfig.load(out).replace(resume=True, batch_size=2))
    with pytest.raises(FileExistsError, match="--resume"):
        Trainer(TrainConfig.load(out))
