"""Checkpoint files, history files and the resumable data order."""

import warnings

import pytest
import torch

from inception_course.training import ResumableSampler, latest_checkpoint, load_history, save_checkpoint
from inception_course.training.checkpoint import REQUIRED_KEYS, list_checkpoints, rng_state, set_rng_state
from inception_course.training.history import HistoryWriter


def _state(step):
    state = {k: None for k in REQUIRED_KEYS}
    state.update(step=step, model={"w": torch.full((3,), float(step))})
    return state


def test_save_keeps_newest_and_leaves_no_temporaries(tmp_path):
    for step in range(1, 6):
        save_checkpoint(_state(step), tmp_path, step, keep=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000004.pt", "step_00000005.pt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_00000004.pt", "step_00000005.pt"]


def test_truncated_checkpoint_is_reported_by_path_and_skipped(tmp_path):
    save_checkpoint(_state(1), tmp_path, 1)
    newest = save_checkpoint(_state(2), tmp_path, 2)
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with pytest.warns(UserWarning, match=f"skipping checkpoint {newest}"):
        path, state = latest_checkpoint(tmp_path)
    assert path.name == "step_00000001.pt" and state["step"] == 1
    assert latest_checkpoint(tmp_path / "missing") is None


def test_rng_state_round_trip_through_a_checkpoint(tmp_path):
    import random

    import numpy as np

    saved = save_checkpoint({**_state(1), "rng": rng_state()}, tmp_path, 1)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(latest_checkpoint(tmp_path)[1]["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
    assert saved.exists()


@pytest.mark.parametrize("saved, here, restored", [(8, 1, 1), (1, 2, 1), (2, 2, 2)])
def test_gpu_random_states_are_restored_on_a_machine_with_another_number_of_gpus(monkeypatch, saved, here, restored):
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: here)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: calls.append(list(states)))
    state = rng_state()  # the CPU's generators, and a fabricated CUDA state per GPU of the writer
    state["cuda"] = [torch.full((16,), i, dtype=torch.uint8) for i in range(saved)]
    if saved == here:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            set_rng_state(state)
    else:
        with pytest.warns(UserWarning, match=f"random state of {saved} GPUs and this machine has {here}: restoring {restored}"):
            set_rng_state(state)
    assert [int(s[0]) for s in calls[0]] == list(range(restored))


def test_history_round_trip_and_cut_off_last_line(tmp_path):
    writer = HistoryWriter(tmp_path, records=[{"kind": "train", "step": 1, "train_loss": 2.0}])
    writer.append({"kind": "val", "step": 1, "epoch": 1, "val_top1_err": 0.5})
    with open(tmp_path / "history.jsonl", "a") as f:
        f.write('{"kind": "train", "st')  # a run killed mid-write
    with pytest.warns(UserWarning, match="line 3"):
        history = load_history(tmp_path)
    assert history.column("val_top1_err") == [0.5]
    assert [r["step"] for r in history.train] == [1]
    assert history.run_dir == tmp_path
    with pytest.raises(FileNotFoundError, match="no history file"):
        load_history(tmp_path / "elsewhere")


@pytest.mark.parametrize("line", ["[1, 2]", "3.5", "null", '"text"'])
def test_a_history_line_that_is_not_a_record_is_named(tmp_path, line):
    HistoryWriter(tmp_path, records=[{"kind": "train", "step": 1, "train_loss": 2.0}])
    with open(tmp_path / "history.jsonl", "a") as f:
        f.write(line + "\n" + '{"kind": "train", "step": 2, "train_loss": 1.0}\n')
    with pytest.raises(ValueError, match=f"{tmp_path / 'history.jsonl'}, line 2: expected a JSON object"):
        load_history(tmp_path)


def test_sampler_resumes_mid_epoch_and_shards_cover_the_epoch():
    whole = ResumableSampler(10, seed=3)
    whole.set_epoch(2)
    order = list(whole)
    assert sorted(order) == list(range(10))
    whole.set_epoch(2, start=4)
    assert list(whole) == order[4:] and len(whole) == 6
    other = ResumableSampler(10, seed=3)
    other.set_epoch(3)
    assert list(other) != order
    shards = [ResumableSampler(10, seed=3, num_replicas=2, rank=r) for r in (0, 1)]
    for s in shards:
        s.set_epoch(2)
    assert list(shards[0]) == order[0::2] and list(shards[1]) == order[1::2]
    odd = [ResumableSampler(5, shuffle=False, num_replicas=2, rank=r) for r in (0, 1)]
    assert [list(s) for s in odd] == [[0, 2, 4], [1, 3, 0]]  # padded by wrapping around
    assert [len(s) for s in odd] == [3, 3]
    unpadded = ResumableSampler(5, shuffle=False, num_replicas=2, rank=1, pad=False)
    assert list(unpadded) == [1, 3] and len(unpadded) == 2
