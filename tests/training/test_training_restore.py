"""Resume falls back over checkpoints that load but cannot be restored; a stale trainer never writes."""

import pytest
import torch

from inception_course.training import TrainConfig, Trainer, load_history
from inception_course.training.checkpoint import list_checkpoints
from inception_course.training.runlock import StaleTrainerError
from training_tiny import TinyNet, tiny_settings


def _trainer(out, **changes):
    settings = tiny_settings(out=str(out), checkpoint_every=2, **changes)
    return Trainer(TrainConfig.from_preset("inception_v4", "synthetic", **settings), model=TinyNet(4))


def test_resume_passes_over_checkpoints_that_do_not_fit_the_model_naming_why(tmp_path):
    _trainer(tmp_path).fit()
    oldest, middle, newest = list_checkpoints(tmp_path / "checkpoints")  # steps 2, 4, 6
    state = torch.load(newest, weights_only=True)
    del state["model"]["fc.bias"]
    torch.save(state, newest)
    state = torch.load(middle, weights_only=True)
    state["ema"]["module"]["fc.weight"] = torch.zeros(5, 16)
    torch.save(state, middle)
    with pytest.warns(UserWarning) as caught:
        resumed = _trainer(tmp_path, resume=True, epochs=2)
    said = [str(w.message) for w in caught]
    assert f"skipping checkpoint {newest}: its model does not fit this network: missing fc.bias" in said
    assert f"skipping checkpoint {middle}: its weight average does not fit this network: size fc.weight (5, 16) saved, (4, 16) here" in said
    assert resumed.step == 2 and resumed.last_checkpoint == str(oldest)
    resumed.fit()
    assert resumed.step == 12


def test_a_checkpoint_without_its_counters_is_passed_over(tmp_path):
    _trainer(tmp_path).fit()
    newest = list_checkpoints(tmp_path / "checkpoints")[-1]
    state = torch.load(newest, weights_only=True)
    del state["wall_time"]
    torch.save(state, newest)
    with pytest.warns(UserWarning, match=f"skipping checkpoint {newest} is incomplete \\(missing wall_time\\)"):
        assert _trainer(tmp_path, resume=True).step == 4


def test_a_stale_trainer_refuses_to_write_over_a_newer_run(tmp_path):
    """A notebook's trainer interrupted at step 3; a new trainer resumes the run to its end; the old
    trainer's fit() again must not rewrite checkpoints or duplicate history records."""
    old = _trainer(tmp_path, epochs=2)
    step = old.train_step

    def interrupted(batches):
        if old.step == 3:
            raise KeyboardInterrupt
        step(batches)

    old.train_step = interrupted
    with pytest.raises(KeyboardInterrupt):
        old.fit()
    _trainer(tmp_path, epochs=2, resume=True).fit()
    before = {p: p.stat().st_mtime_ns for p in list_checkpoints(tmp_path / "checkpoints")}
    old.train_step = step
    with pytest.raises(StaleTrainerError, match="has been advanced by another trainer .*step_00000012.pt"):
        old.fit()
    assert {p: p.stat().st_mtime_ns for p in list_checkpoints(tmp_path / "checkpoints")} == before
    steps = [r["step"] for r in load_history(tmp_path).train]
    assert steps == sorted(set(steps)) and steps[-1] == 12
