"""``residual_vs_plain_explorer()``: recorded residual-vs-plain runs, plotted the way you choose.

Pick a pair (the paper's training curves, Figs. 21-22 or 23-24; AAAI Figs. 8 or 9) and its runs, the x axis (epochs or wall-clock seconds), the metric
(top-1 / top-5 error or validation loss) and a smoothing weight; the plot comes from
:func:`inception_course.experiments.plot_runs`, and every curve is labelled with its model, data
set, device and seed. Runs that differ only in their seed are one entry (median and min-max band);
runs trained here are labelled as such (with their time stamp), and every entry keeps its colour
when others are hidden. The button trains the chosen pair once more with a short budget through
:func:`inception_course.experiments.run_pair` into ``new_runs_dir`` and adds the new runs to the list.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..config import runs_dir
from ..experiments.plots import plot_runs
from ..experiments.residual_vs_plain import PAIR_TITLES, PAIRS, pair_of, run_pair, short_run
from ..experiments.runs import Run, RunGroup, group_runs, list_runs, results_dir
from ._display import show_error, show_figure


def _labelled(text: str, control: widgets.Widget) -> widgets.HBox:
    """``control`` with ``text`` on its left, as wide as the other controls' descriptions."""
    return widgets.HBox([widgets.Label(text, layout=widgets.Layout(width="90px")), control])


class ResidualVsPlainExplorer(widgets.VBox):
    """Controls ``pair``, ``runs`` (one entry per group of seeds), ``x_axis``, ``metric``,
    ``smoothing``, ``run_button``; the loaded runs in ``all_runs``, the last figure's runs in
    ``plotted`` (drawn in ``figure``), and each entry's colour in ``colors`` (by
    :attr:`RunGroup.id`, fixed once given)."""

    def __init__(self, results: str | os.PathLike | None = None, new_runs_dir: str | os.PathLike | None = None) -> None:
        self.results = results_dir(results)
        # fast mode: a folder that lives as long as the kernel; otherwise one that keeps your runs
        self.new_runs_dir = Path(new_runs_dir) if new_runs_dir is not None else runs_dir("residual_vs_plain", timestamp=False)
        style = {"description_width": "90px"}
        self.pair = widgets.Dropdown(
            options=[(PAIR_TITLES[p], p) for p in PAIRS], description="pair", style=style, layout=widgets.Layout(width="600px")
        )
        # an entry reads "<run folder>  [<model> (<data>, <device>), seed N, trained here <time>]"
        self.runs = widgets.SelectMultiple(description="runs", rows=8, style=style, layout=widgets.Layout(width="900px"))
        # ToggleButtons put their description on a line of its own (ipywidgets 8): a Label beside them instead
        self.x_axis = widgets.ToggleButtons(options=[("epochs", "epoch"), ("wall time", "wall_time")])
        self.metric = widgets.ToggleButtons(options=[("top-1", "top1"), ("top-5", "top5"), ("loss", "loss")])
        self.smoothing = widgets.FloatSlider(value=0.0, min=0.0, max=0.9, step=0.1, description="smoothing", continuous_update=False, style=style)
        # the button keeps its width however long the status beside it grows
        self.run_button = widgets.Button(description="Train this pair (short run)", button_style="primary",
                                         layout=widgets.Layout(width="240px", min_width="240px", flex="0 0 auto"))
        self.status = widgets.HTML(layout=widgets.Layout(flex="1 1 auto"))
        self.output = widgets.Output()
        self.all_runs: list[Run] = []
        self.plotted: list[Run] = []
        self.figure = None
        self.colors: dict[str, str] = {}

        self.pair.observe(self._on_pair, names="value")
        for control in (self.runs, self.x_axis, self.metric, self.smoothing):
            control.observe(self._on_change, names="value")
        self.run_button.on_click(self._on_run)
        super().__init__(
            [
                widgets.HTML("<b>Residual vs plain</b>: the same budget for both networks of a pair (training curves: paper Figs. 21-24)."),
                self.pair, self.runs, _labelled("x axis", self.x_axis), _labelled("metric", self.metric),
                self.smoothing, self.output,
                widgets.HBox([self.run_button, self.status]),
            ]
        )
        self.reload()

    def reload(self) -> None:
        """Read the run directories again (recorded ones and new ones) and redraw."""
        runs: list[Run] = []
        for folder in (self.results, self.new_runs_dir):
            if folder.is_dir():
                runs += list_runs(folder)
        self._set_runs(runs)

    def _set_runs(self, runs: list[Run]) -> None:
        """Keep each run directory once, give every new group the next free colour, refill the list."""
        groups = group_runs(runs)
        self.all_runs = [run for group in groups for run in group.runs]
        palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for group in groups:
            if group.id not in self.colors:
                self.colors[group.id] = palette[len(self.colors) % len(palette)]
        self._fill_runs()

    def groups(self) -> list[RunGroup]:
        """The chosen pair's entries: its runs grouped by experiment (seeds together)."""
        return [g for g in group_runs(self.all_runs) if pair_of(g.runs[0]) == self.pair.value]

    def _fill_runs(self) -> None:
        options = [(f"{g.name}  [{g.label}]", g.id) for g in self.groups()]
        self.runs.unobserve(self._on_change, names="value")  # one redraw below, not one per change
        # Clear the selection before the options shrink, and send all three changes as one message:
        # otherwise the browser briefly selects entries that no longer exist ("Error setting state:
        # Cannot set properties of undefined (setting 'selected')", four entries -> two).
        with self.runs.hold_sync():
            self.runs.value = ()
            self.runs.options = options
            self.runs.value = tuple(value for _, value in options)
        self.runs.observe(self._on_change, names="value")
        self.status.value = (
            f"new runs go to {self.new_runs_dir}" if options
            else f"no recorded runs for this pair in {self.results}; train one with the button (into {self.new_runs_dir})"
        )
        self.plot()

    def plot(self) -> None:
        """Draw the selected runs with the chosen axis, metric and smoothing."""
        chosen = set(self.runs.value)
        self.plotted = [run for group in self.groups() if group.id in chosen for run in group.runs]
        try:
            figure = plot_runs(
                self.plotted, self.metric.value, self.x_axis.value, self.smoothing.value,
                title=PAIR_TITLES[self.pair.value], colors=self.colors,
            )
        except Exception as error:  # shown in the widget, which has no other place to report it
            show_error(self.output, error)
            raise
        self.figure = figure
        show_figure(self.output, figure)

    def train_pair(self) -> list[Run]:
        """Train the chosen pair with the short budget into ``new_runs_dir``, then list and plot it."""
        out, tag = self.new_runs_dir, time.strftime("%Y%m%d-%H%M%S")
        self.run_button.disabled = True
        self.status.value = f"training both networks into {out}... (the notebook is busy until they finish)"
        try:
            with self.output:  # the training's progress shows under the figure until the new one replaces it
                runs = run_pair(self.pair.value, out, tag=tag, **short_run())
        except Exception as error:
            self.status.value = f"{type(error).__name__}: {error}"
            raise
        finally:
            self.run_button.disabled = False
        self._set_runs(self.all_runs + runs)
        self.status.value = f"trained {', '.join(r.name for r in runs)} in {out}"
        return runs

    def _on_pair(self, change) -> None:
        self._fill_runs()

    def _on_change(self, change) -> None:
        self.plot()

    def _on_run(self, button) -> None:
        self.train_pair()


def residual_vs_plain_explorer(
    results_dir: str | os.PathLike | None = None, new_runs_dir: str | os.PathLike | None = None
) -> ResidualVsPlainExplorer:
    """A widget over recorded residual-vs-plain runs; display it as the last line of a cell.

    ``results_dir`` defaults to the repository's ``data/results/`` (or ``$INCEPTION_COURSE_RESULTS``);
    new short runs go to ``new_runs_dir`` (default ``config.runs_dir("residual_vs_plain",
    timestamp=False)``: ``<data root>/runs/residual_vs_plain``, or in fast mode a temporary folder
    that lives as long as the kernel). Core
    ipywidgets only (ipywidgets 7.7 on Colab, 8 in JupyterLab). Without a widget front end, call
    ``plot_runs(list_runs(), metric, x)`` for the same figure.
    """
    return ResidualVsPlainExplorer(results_dir, new_runs_dir)
