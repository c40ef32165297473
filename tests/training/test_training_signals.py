"""Ctrl-C and SIGTERM are a clean stop: the current step is checkpointed, one line says how to
resume, the exit status is 130 / 143, and the resumed run ends bit-identical to an uninterrupted one."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from inception_course.training import Trainer, latest_checkpoint
from inception_course.training.checkpoint import list_checkpoints
from inception_course.training.cli import main

REPO = Path(__file__).resolve().parents[2]
# A few hundred milliseconds per step: time to signal mid-epoch (32 steps, checkpoints only at its end).
FLAGS = ["--model", "inception_v4", "--width", "0.05", "--depths", "0", "0", "0", "--image-size", "75",
         "--batch-size", "2", "--num-workers", "0", "--device", "cpu", "--precision", "fp32", "--log-every", "1",
         "--data-kwargs", '{"num_images": 64, "num_classes": 2}', "--epochs", "1"]


def _signal_mid_run(run: Path, signum: int) -> tuple[int, str]:
    """Start a CLI run, send ``signum`` after its third step; ``(exit status, stderr)``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "TQDM_DISABLE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inception_course.train", *FLAGS, "--out", str(run)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    history, deadline = run / "history.jsonl", time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if history.exists() and history.read_text().count('"kind": "train"') >= 3:
            proc.send_signal(signum)
            break
        time.sleep(0.01)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_ctrl_c_in_a_terminal_checkpoints_the_step_and_the_resumed_run_is_bit_identical(tmp_path, capsys):
    run = tmp_path / "run"
    status, err = _signal_mid_run(run, signal.SIGINT)
    assert status == 130 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    saved = list_checkpoints(run / "checkpoints")
    step = json.loads((run / "history.jsonl").read_text().splitlines()[-1])["step"]
    assert [p.name for p in saved] == [f"step_{step:08d}.pt"] and 3 <= step < 32  # mid-epoch: this step's state
    assert err.strip() == (
        f"inception-train: stopped by SIGINT: saved {saved[0]}."
        f" Continue with: python -m inception_course.train --resume --out {run}"
    )
    assert main(["--resume", "--out", str(run)]) == 0
    assert main([*FLAGS, "--out", str(tmp_path / "straight")]) == 0
    states = [latest_checkpoint(folder / "checkpoints")[1] for folder in (tmp_path / "straight", run)]
    assert [state["step"] for state in states] == [32, 32]
    for weights in (lambda state: state["model"], lambda state: state["ema"]["module"]):
        straight, resumed = (weights(state) for state in states)
        assert straight.keys() == resumed.keys()
        for name in straight:
            assert torch.equal(straight[name], resumed[name]), f"{name} differs"


def test_sigterm_stops_after_the_step_with_exit_143(tmp_path, capsys, monkeypatch):
    """In-process (cheaper than a second subprocess): the run signals itself during step 3."""
    step = Trainer.train_step

    def signalled(self, batches):
        step(self, batches)
        if self.step == 2:  # the third step, counted after it
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Trainer, "train_step", signalled)
    run = tmp_path / "run"
    assert main([*FLAGS, "--out", str(run)]) == 143
    err = capsys.readouterr().err.strip()
    assert err == (
        f"inception-train: stopped by SIGTERM: saved {run / 'checkpoints' / 'step_00000003.pt'}."
        f" Continue with: python -m inception_course.train --resume --out {run}"
    )
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handlers are put back
