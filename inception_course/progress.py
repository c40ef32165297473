"""Progress bars as text, in a terminal and in a notebook alike.

Why not ``tqdm.auto``: in a notebook it draws each bar as an ipywidget, and a notebook is saved
without its widgets' state. After a page reload (or on GitHub, nbviewer, a grader's copy) every
place where a bar was shows "Error displaying widget: model not found" instead - closing the bar
does not remove its output. tqdm's text bar is plain output: it updates in place (``\\r``) in
JupyterLab, Notebook 7, Colab and VS Code as in a terminal, and is still readable after a reload.
In a notebook it goes to stdout, since front ends paint stderr as an error; in a terminal it stays
on stderr, out of the way of piped output.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.std import tqdm

__all__ = ["in_notebook", "progress_bar", "write"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, Colab, VS Code, nbval): its stdout is
    ipykernel's stream."""
    return type(sys.stdout).__module__.startswith("ipykernel")


def progress_bar(iterable: Any = None, **kwargs: Any) -> tqdm:
    """``tqdm(iterable, **kwargs)`` as text: on stdout in a notebook, stderr elsewhere (unless ``file`` is given)."""
    if "file" not in kwargs and in_notebook():
        kwargs["file"] = sys.stdout
    return tqdm(iterable, **kwargs)


def write(message: str) -> None:
    """Print ``message`` on a line of its own without breaking a bar that is being drawn."""
    tqdm.write(message)
