"""Two CPU processes (gloo, launched the way torchrun launches them): the same weights as one process
with the same global batch; ``--download`` fetched once, by rank 0; a NaN on one rank stopping both.

TinyNet has no batch norm and no dropout, so the two runs compute the same gradients: DDP averages
the two half-batch gradients, the single process takes the mean over the whole batch. Only the order
of float32 additions differs, which moves weights by about 1e-7 per step; after 8 optimiser steps a
tolerance of 1e-5 absolute is ample, and the test does fail when the DDP wrapper (the gradient
all-reduce) is taken out.
"""

import io
import tarfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from inception_course.data import ChecksumError
from inception_course.data.classes import IMAGENETTE_WNIDS
from inception_course.training import latest_checkpoint, load_history
from inception_course.training.distributed import DistContext, _picklable, rank_zero_first
from gloo import launch, succeed

WORKER = Path(__file__).with_name("ddp_worker.py")
DOWNLOAD_WORKER = Path(__file__).with_name("download_worker.py")
NAN_WORKER = Path(__file__).with_name("nan_worker.py")


def test_two_processes_match_one_with_the_same_global_batch(tmp_path):
    two = launch(WORKER, tmp_path / "two", 4, world_size=2)
    one = launch(WORKER, tmp_path / "one", 8, world_size=1)
    succeed(two + one)
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


def imagenette_archive(path: Path) -> Path:
    """A .tgz laid out like fast.ai's Imagenette-160: 2 small JPEGs per class in train/ and val/."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 32), (200, 80, 10)).save(buffer, format="JPEG")
    data = buffer.getvalue()
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "val"):
            for wnid in IMAGENETTE_WNIDS:
                for i in range(2):
                    info = tarfile.TarInfo(f"imagenette2-160/{split}/{wnid}/{wnid}_{i}.JPEG")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return path


def test_with_download_rank_0_alone_fetches_while_the_other_waits_or_both_stop_with_its_error(tmp_path):
    archive = imagenette_archive(tmp_path / "imagenette2-160.tgz")
    root = tmp_path / "data"
    succeed(launch(DOWNLOAD_WORKER, archive, root, tmp_path / "run"))
    errors = [(tmp_path / f"rank{rank}.error").read_text() for rank in range(2)]
    assert "MD5" in errors[0] and errors[1] == errors[0]  # rank 0's failed download stopped both ranks
    assert (tmp_path / "fetches").read_text() == "0\n0\n"  # then one fetch, by rank 0; the other rank waited
    assert (tmp_path / "extractions").read_text() == "0\n"
    for rank in range(2):
        assert (tmp_path / f"rank{rank}.sizes").read_text() == "20 20"  # and then read all of it
    assert latest_checkpoint(tmp_path / "run" / "checkpoints")[1]["step"] == 2  # 20 images, 4 x 2 per step
    assert sorted(p.name for p in root.iterdir()) == ["imagenette2-160", "imagenette2-160.tgz"]  # no leftovers


def test_a_nan_on_one_rank_stops_every_rank_at_the_same_step_naming_the_same_checkpoint(tmp_path):
    """Rank 1 alone computes a NaN loss at step 3 (4 steps per epoch, a checkpoint every step); DDP's
    all-reduce spreads its NaN gradients to rank 0's weights, whose own loss was finite. Then the
    run is resumed at a lower rate (see nan_worker.py)."""
    out = tmp_path / "run"
    succeed(launch(NAN_WORKER, out))  # neither rank waited forever in a collective for the other
    errors = [(tmp_path / f"rank{rank}.error").read_text() for rank in range(2)]
    assert errors[0] == errors[1], errors  # both stopped at the same step, naming the same checkpoint
    assert "the training loss became NaN or infinite at step 3" in errors[0], errors[0]
    named = Path(errors[0].split("the last good checkpoint is ")[1].split(". Resume")[0])
    assert named.name == "step_00000001.pt"
    # step 2's weights gave the NaN on rank 1: set aside, so --resume did not replay the bad batch
    set_aside = sorted(p.name for p in (out / "checkpoints").glob("*.pt.*"))
    assert set_aside == ["step_00000002.pt.nonfinite"], set_aside
    resumed = [r for r in load_history(out).records if r["kind"] == "resume"]
    assert [(r["step"], r["changed"]["lr"][1]) for r in resumed] == [(1, 0.01)]  # from step 1, at the lower rate
    state = latest_checkpoint(out / "checkpoints")[1]
    assert state["step"] == 8 and all(torch.isfinite(t).all() for t in state["model"].values())  # to the end


class NeedsTwoArguments(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


def test_rank_0s_error_reaches_the_other_ranks_as_itself_or_as_its_message():
    checksum = ChecksumError("imagenette2-160.tgz has MD5 0, expected 1")
    assert _picklable(checksum) is checksum  # raised as itself on every rank (the CLI's exit status follows it)
    rebuilt = _picklable(NeedsTwoArguments("a.tgz", "unreadable"))  # pickle cannot rebuild it from its message
    assert type(rebuilt) is RuntimeError and str(rebuilt) == "NeedsTwoArguments: a.tgz: unreadable"
    # one process: nothing to wait for
    assert rank_zero_first(DistContext(), lambda: "built", lambda: pytest.fail("only rank 0's branch runs")) == "built"
