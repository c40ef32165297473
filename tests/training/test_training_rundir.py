"""A run never deletes or overwrites a file it did not write."""

import json

from inception_course.training.rundir import foreign_entries, remove_stale_temporaries
from test_training_cli import TINY, run_cli


def test_a_new_run_refuses_a_folder_that_holds_the_users_files(tmp_path, capsys):
    folder = tmp_path / "u"
    folder.mkdir()
    (folder / "draft.tmp").write_text("x")
    (folder / "config.json").write_text("{}")  # not a run configuration: the user's file
    status, line = run_cli([*TINY, "--out", str(folder)], capsys)
    assert status == 2 and f"--out {folder} is not a run folder (it holds config.json, draft.tmp" in line, line
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "draft.tmp"]  # untouched, no .lock either
    assert (folder / "draft.tmp").read_text() == "x" and (folder / "config.json").read_text() == "{}"


def test_a_new_run_may_use_an_empty_folder_and_resume_keeps_the_users_files(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    assert run_cli([*TINY, "--out", str(folder)], capsys)[0] == 0
    (folder / "notes.tmp").write_text("mine")  # the user's note inside a run folder
    assert run_cli([*TINY, "--out", str(folder), "--resume", "--epochs", "2"], capsys)[0] == 0
    assert (folder / "notes.tmp").read_text() == "mine"
    assert json.loads((folder / "config.json").read_text())["config"]["epochs"] == 2


def test_stale_clean_up_deletes_only_the_trainers_own_temporaries(tmp_path):
    ours = [tmp_path / "config.json.tmp", tmp_path / "history.jsonl.tmp", tmp_path / "checkpoints" / ".step_00000006.pt.123.tmp"]
    theirs = [tmp_path / "draft.tmp", tmp_path / "checkpoints" / "mine.tmp"]
    (tmp_path / "checkpoints").mkdir()
    for p in ours + theirs:
        p.write_text("x")
    remove_stale_temporaries(tmp_path)
    assert [p.exists() for p in ours] == [False] * 3 and all(p.exists() for p in theirs)
    assert foreign_entries(tmp_path) == ["draft.tmp"]
