"""Exact resumption: a run killed with SIGKILL and resumed ends with the same weights, bit for bit,
as a run that was never interrupted (on a CPU, with ``num_workers=0``)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from inception_course.training import TrainConfig, Trainer, latest_checkpoint
from inception_course.training.checkpoint import checkpoint_path, list_checkpoints
from inception_course.training.cli import main
from inception_course.training.runlock import RunDirectoryInUseError
from inception_course.training.train_config import SettingsError
from training_tiny import TinyNet, tiny_settings

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


ONE_EPOCH = tiny_settings(epochs=1, checkpoint_every=2)


def _tiny_run(out, **changes):
    settings = {**ONE_EPOCH, "out": None if out is None else str(out), **changes}
    return Trainer(TrainConfig.from_preset("inception_v4", "synthetic", **settings), model=TinyNet(4))


def test_resume_may_change_the_learning_rate_schedule_and_clipping_and_records_it(tmp_path):
    out = tmp_path / "run"
    _tiny_run(out).fit()
    changes = dict(epochs=2, lr=0.01, lr_decay=0.5, lr_decay_epochs=0.5, warmup_epochs=0.0, clip_grad_norm=None)
    resumed = Trainer(TrainConfig.load(out).replace(resume=True, **changes), model=TinyNet(4))
    history = resumed.fit()
    record = [r for r in history.records if r["kind"] == "resume"]
    assert len(record) == 1 and record[0]["step"] == 6 and record[0]["changed"]["lr"][1] == 0.01
    assert set(record[0]["changed"]) == set(changes)
    # from step 7 on: lr 0.01 x 0.5 every half epoch (3 steps), as a run started with these settings would
    second_epoch = [r["lr"] for r in history.train if r["step"] > 6]
    assert second_epoch == pytest.approx([0.01 * 0.5 ** (step // 3) for step in range(6, 12)])
    info = json.loads((out / "config.json").read_text())
    assert info["config"]["lr"] == 0.01 and info["config"]["resume"] is False
    assert info["resumed"][0]["changed"]["clip_grad_norm"] == [ONE_EPOCH.get("clip_grad_norm", 2.0), None]
    assert TrainConfig.load(out).lr == 0.01  # a later --resume starts from the changed settings
    with pytest.raises(SettingsError, match=r"cannot resume .*optimizer: 'rmsprop' -> 'sgd'.*use the original ones"):
        Trainer(TrainConfig.load(out).replace(resume=True, optimizer="sgd"), model=TinyNet(4))


def test_resume_compares_settings_before_building_anything(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _tiny_run(out).fit()

    def must_not_build(*args, **kwargs):
        raise AssertionError("built the model or data before comparing settings")

    monkeypatch.setattr(Trainer, "_build", must_not_build)
    with pytest.raises(SettingsError, match=r"cannot resume .*model: 'inception_v4' -> 'googlenet'"):
        Trainer(TrainConfig.load(out).replace(resume=True, model="googlenet"))


def test_resume_without_scaler_entry_and_cleans_stale_temporaries(tmp_path):
    out = tmp_path / "run"
    _tiny_run(out).fit()
    path, state = latest_checkpoint(out / "checkpoints")
    del state["scaler"]  # as written by a trainer without a grad scaler
    torch.save(state, path)
    stale = [out / "config.json.tmp", out / "history.jsonl.tmp", out / "checkpoints" / ".step_00000006.pt.123.tmp"]
    for p in stale:
        p.write_text("left by a killed run")
    resumed = Trainer(TrainConfig.load(out).replace(resume=True, epochs=2), model=TinyNet(4))
    assert resumed.step == 6 and not any(p.exists() for p in stale)
    resumed.fit()
    assert latest_checkpoint(out / "checkpoints")[1]["step"] == 12


def test_second_writer_is_refused_while_a_killed_one_leaves_no_lock(tmp_path, capsys):
    out = tmp_path / "run"
    module = REPO / "inception_course" / "training" / "runlock.py"  # loaded alone: no torch import, fast
    holder = subprocess.Popen(
        [sys.executable, "-c", "import importlib.util, time\n"
         f"spec = importlib.util.spec_from_file_location('runlock', {str(module)!r})\n"
         "runlock = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(runlock)\n"
         f"lock = runlock.RunLock({str(out)!r})\nlock.acquire()\nprint('locked', flush=True)\ntime.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunDirectoryInUseError, match=rf"{out} is in use by another training run \(pid {holder.pid} on "):
            _tiny_run(out)
        assert main([*FLAGS, "--out", str(out)]) == 1  # the command line: one line, exit status 1
        assert capsys.readouterr().err.strip().splitlines() == [
            f"inception-train: error: {out} is in use by another training run (pid {holder.pid} on"
            f" {socket.gethostname()}): wait for it to end, or choose another --out (out=...)"
        ]
        assert not list_checkpoints(out / "checkpoints") and not (out / "config.json").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    _tiny_run(out).fit()  # the killed holder's lock went with it
    assert len(list_checkpoints(out / "checkpoints")) == 3


def test_a_trainer_in_the_same_process_holds_the_folder_until_it_is_done(tmp_path):
    first = _tiny_run(tmp_path / "run")
    with pytest.raises(RunDirectoryInUseError, match="another Trainer in this process holds it"):
        _tiny_run(tmp_path / "run")
    first.fit()  # releases the folder when it ends
    _tiny_run(tmp_path / "run", resume=True, epochs=2).close()


def test_default_run_names_differ_within_one_second(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trainers = [_tiny_run(None) for _ in range(2)]
    names = [t.run_dir for t in trainers]
    for t in trainers:
        t.close()
    assert names[0] != names[1] and all(n.parent == Path("runs") and n.is_dir() for n in names)
