"""tools/browser_check.py drives a real browser, which CI does not have; what runs without one is
checked here: it finds the lessons' widget and training cells, and refuses bad input in one line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("browser_check", REPO / "tools" / "browser_check.py")
browser_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser_check)


@pytest.mark.parametrize("lesson, explorer, trainer", [("6", "activation_scaling_explorer(", "run_scaling_experiment("),
                                                       ("8", "residual_vs_plain_explorer(", "run_pair(")])
def test_it_finds_the_widget_and_the_training_cell_of_each_widget_lesson(lesson, explorer, trainer):
    notebook = nbformat.read(browser_check.lesson_path(lesson), as_version=4)
    watched = [c.source for c in notebook.cells if c.cell_type == "code" and any(w in c.source for w in browser_check.WATCHED)]
    assert any(explorer in source for source in watched) and any(trainer in source for source in watched)


@pytest.mark.parametrize("lesson, words", [("42", "no lesson 42"), ("README.md", "is not a notebook")])
def test_a_bad_lesson_is_one_line_and_exit_status_2(lesson, words, tmp_path, capsys):
    assert browser_check.main(["--lesson", lesson, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and not any(tmp_path.iterdir())


def test_a_missing_browser_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(browser_check.importlib.util, "find_spec", lambda name: object())  # selenium "installed"
    monkeypatch.setattr(browser_check.shutil, "which", lambda name: None)
    assert browser_check.main(["--lesson", "8", "--out", str(tmp_path)]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
