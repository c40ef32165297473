"""Progress bars are text (never a widget, which a saved notebook cannot show again), on stdout in
a notebook and on stderr in a terminal. (conftest.py sets TQDM_DISABLE=1: these bars ask to be shown.)"""

import io

import pytest

from inception_course import progress


def kernel_stream() -> io.StringIO:
    """A stand-in for ipykernel's stdout: a stream whose class lives in ``ipykernel.iostream``."""
    return type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})()


def test_a_kernel_is_recognised_by_its_stdout(monkeypatch):
    assert not progress.in_notebook()  # pytest's capture is no kernel
    monkeypatch.setattr("sys.stdout", kernel_stream())
    assert progress.in_notebook()


@pytest.mark.parametrize("notebook, stream", [(True, "out"), (False, "err")])
def test_the_bar_is_text_on_the_stream_the_front_end_shows(monkeypatch, capsys, notebook, stream):
    monkeypatch.setattr(progress, "in_notebook", lambda: notebook)
    for _ in progress.progress_bar(range(3), desc="counting", mininterval=0, disable=False):
        pass
    captured = capsys.readouterr()
    assert "counting: 100%" in getattr(captured, stream) and "3/3" in getattr(captured, stream)
    assert "counting" not in getattr(captured, "err" if stream == "out" else "out")


def test_a_given_file_wins(monkeypatch, capsys):
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    sink = io.StringIO()
    progress.progress_bar(range(2), desc="elsewhere", file=sink, mininterval=0, disable=False).close()
    assert "elsewhere" in sink.getvalue() and "elsewhere" not in capsys.readouterr().out
