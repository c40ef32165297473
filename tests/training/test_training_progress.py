"""Training in a notebook shows its progress as text (issue 22: tqdm's widget bars left "Error
displaying widget: model not found" in every training cell after a page reload)."""

from training_tiny import TinyNet, tiny_settings

from inception_course import progress
from inception_course.training import TrainConfig, Trainer


def test_a_notebook_run_prints_its_bar_and_summary_as_text_on_stdout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(progress, "in_notebook", lambda: True)

    class Shown(progress.tqdm):  # conftest.py sets TQDM_DISABLE=1; this test needs the bars drawn
        def __init__(self, *args, **kwargs):  # at every step: a fast machine ends 6 steps within tqdm's 0.1 s
            super().__init__(*args, **{**kwargs, "disable": False, "mininterval": 0})

    monkeypatch.setattr(progress, "tqdm", Shown)
    settings = tiny_settings(out=str(tmp_path / "run"), epochs=1)
    Trainer(TrainConfig.from_preset("inception_v4", "synthetic", **settings), model=TinyNet(4)).fit()
    out = capsys.readouterr().out
    assert "epoch 1/1:" in out and "6/6" in out  # the bar (6 steps), drawn as text
    assert "epoch 1/1: val top-1 error" in out  # the summary line the bar makes room for
