"""Two CPU processes (gloo, launched the way torchrun launches them) against one process with the
same global batch.

TinyNet has no batch norm and no dropout, so the two runs compute the same gradients: DDP averages
the two half-batch gradients, the single process takes the mean over the whole batch. Only the order
of float32 additions differs, which moves weights by about 1e-7 per step; after 8 optimiser steps a
tolerance of 1e-5 absolute is ample, and the test does fail when the DDP wrapper (the gradient
all-reduce) is taken out.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

from inception_course.training import latest_checkpoint, load_history

WORKER = Path(__file__).with_name("ddp_worker.py")
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(out: Path, batch_size: int, world_size: int) -> list[subprocess.Popen]:
    port = str(_free_port())
    procs = []
    for rank in range(world_size):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": port, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world_size)}
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(out), str(batch_size)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    return procs


def _wait(procs):
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]


def test_two_processes_match_one_with_the_same_global_batch(tmp_path):
    two = _launch(tmp_path / "two", batch_size=4, world_size=2)
    one = _launch(tmp_path / "one", batch_size=8, world_size=1)
    _wait(two + one)
    a = latest_checkpoint(tmp_path / "one" / "checkpoints")[1]
    b = latest_checkpoint(tmp_path / "two" / "checkpoints")[1]
    assert a["step"] == b["step"] == 8
    for name in a["model"]:
        assert torch.allclose(a["model"][name], b["model"][name], rtol=1e-4, atol=1e-5), name
    # rank 0 alone wrote the run directory; val metrics were summed over both processes' shares
    val_one, val_two = load_history(tmp_path / "one").val, load_history(tmp_path / "two").val
    assert [r["val_top1_err"] for r in val_one] == [r["val_top1_err"] for r in val_two]
    assert abs(val_one[-1]["val_loss"] - val_two[-1]["val_loss"]) < 1e-4
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == [".lock", "checkpoints", "config.json", "history.jsonl"]
