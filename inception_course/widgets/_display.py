"""Showing a matplotlib figure inside an ``ipywidgets.Output`` the same way in every front end."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure


def add_figure(output: widgets.Output, figure: Figure) -> None:
    """Append ``figure`` to ``output`` and close it (so pyplot does not show it a second time).

    ``display(figure)`` rather than ``plt.show()``: it works with the inline backend (Colab,
    JupyterLab) and with the non-interactive Agg backend used by tests, without warnings.
    """
    with output:
        display(figure)
    plt.close(figure)


def show_figure(output: widgets.Output, figure: Figure) -> None:
    """Replace ``output``'s contents with ``figure``."""
    output.clear_output(wait=True)
    add_figure(output, figure)


def show_error(output: widgets.Output, error: Exception) -> None:
    """Show a failed computation as text in ``output`` instead of a traceback in the log."""
    output.clear_output(wait=True)
    with output:
        print(f"{type(error).__name__}: {error}")
