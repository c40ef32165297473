"""``activation_scaling_explorer()``: sliders over the residual scale, width, learning rate and model.

Moving a slider re-measures a freshly initialised network with
:func:`inception_course.experiments.measure_network` and redraws
:func:`inception_course.experiments.plot_activation_statistics` (the chosen scale overlaid on the
unscaled 1.0). The button trains the network twice - scale 1.0 and the chosen scale, same seed and
budget - with :func:`inception_course.experiments.run_scaling_experiment` and shows
:func:`inception_course.experiments.plot_scaling_experiment`. The widget computes nothing itself.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import ipywidgets as widgets

from ..config import is_fast
from ..config import runs_dir as default_runs_dir
from ..experiments import scaling
from ..experiments.activations import accepts_option, build_network, measure_network, widest_residual_block
from ..experiments.plots import plot_activation_statistics, plot_scaling_experiment
from ._display import add_figure, show_error, show_figure

MODELS = ["inception_resnet_v1", "inception_resnet_v2", "inception_v3", "inception_v4"]
PAPER_SCALES = (0.1, 0.2, 0.3)
SCALES = [round(0.05 * i, 2) for i in range(21)]
WIDTHS = [0.0625, 0.125, 0.25, 0.5, 0.625, 1.0]


def _scale_label(scale: float) -> str:
    return f"{scale:.2f}" + ("  (paper)" if scale in PAPER_SCALES else "")


class ActivationScalingExplorer(widgets.VBox):
    """The explorer's controls (``model``, ``scale``, ``width``, ``lr``, ``run_button``), its two
    outputs, the last results (``stats``, ``experiment``) for code that wants the numbers, and
    ``runs_dir``, the folder each button click trains into (one ``scaling-<time>`` folder per click)."""

    def __init__(
        self, model: str = scaling.DEFAULT_MODEL, scale: float = 0.2, width: float | None = None,
        runs_dir: str | os.PathLike | None = None,
    ) -> None:
        width = width if width is not None else (scaling.FAST_EXPERIMENT if is_fast() else scaling.EXPERIMENT)["width"]
        if width not in WIDTHS:
            raise ValueError(f"width must be one of {WIDTHS}, got {width}")
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {model!r}")
        # fast mode: a folder that lives as long as the kernel, never the data root
        self.runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir("scaling", timestamp=False)
        style = {"description_width": "110px"}
        layout = widgets.Layout(width="520px")
        self.model = widgets.Dropdown(options=MODELS, value=model, description="model", style=style)
        self.scale = widgets.SelectionSlider(
            options=[(_scale_label(s), s) for s in SCALES], value=round(scale, 2), description="residual scale",
            continuous_update=False, style=style, layout=layout,
        )
        self.width = widgets.SelectionSlider(
            options=WIDTHS, value=width, description="width", continuous_update=False, style=style, layout=layout
        )
        self.lr = widgets.FloatLogSlider(
            value=scaling.DEFAULT_LR, base=10, min=-3, max=0, step=0.05, description="learning rate",
            continuous_update=False, style=style, layout=layout, readout_format=".3g",
        )
        self.run_button = widgets.Button(
            description="Train scale 1.0 vs chosen", button_style="primary", layout=widgets.Layout(width="240px"),
            tooltip="Trains the network twice (same seed and budget) and plots both runs; blocks the notebook",
        )
        self.info = widgets.HTML()
        self.stats_output = widgets.Output()
        self.experiment_output = widgets.Output()
        self.stats: dict[str, list] = {}
        self.experiment: list[scaling.ScalingRun] = []
        self.recorded = scaling.recorded_experiments()

        for control in (self.model, self.scale, self.width):
            control.observe(self._on_change, names="value")
        self.run_button.on_click(self._on_run)
        super().__init__(
            [
                widgets.HTML(
                    "<b>Residual scaling</b> (paper section 3.3): scale each residual by 0.1-0.3 before "
                    "adding it, or wide Inception-ResNets can 'die'. The paper's values are marked."
                ),
                self.model, self.scale, self.width, self.lr, self.info, self.stats_output,
                self.run_button, self.experiment_output,
            ]
        )
        self.refresh()
        self.show_recorded()

    def show_recorded(self) -> None:
        """Show the shipped runs of the experiment (one figure per width) until a live run replaces them."""
        self.experiment_output.clear_output()
        if self.recorded:
            with self.experiment_output:
                print("Recorded runs from data/results/ (train your own with the button):")
        for width, arms in self.recorded.items():
            add_figure(self.experiment_output, plot_scaling_experiment(arms, title=f"recorded: width {width:g}"))

    def refresh(self) -> None:
        """Re-measure the chosen network at scale 1.0 and at the chosen scale, and redraw."""
        name, scale, width = self.model.value, self.scale.value, self.width.value
        residual = accepts_option(name, "residual_scale")
        self.scale.disabled = not residual
        self.run_button.disabled = not residual
        scales = sorted({1.0, scale}, reverse=True) if residual else [None]
        try:
            self.stats = {}
            for s in scales:
                network = build_network(name, width=width, residual_scale=s, depths=scaling.depths_for(name))
                self.stats["no residuals" if s is None else f"scale {s:g}"] = measure_network(network)
            widest = widest_residual_block(network)
        except Exception as error:  # shown in the widget, which has no other place to report it
            show_error(self.stats_output, error)
            raise
        self.info.value = (
            f"widest residual block: <b>{widest}</b> channels (the paper's trouble starts above ~1000)"
            if residual else "plain Inception network: no residual blocks, nothing to scale"
        )
        show_figure(self.stats_output, plot_activation_statistics(self.stats, title=f"{name}, width {width:g}, at initialisation"))

    def run_experiment(self) -> list[scaling.ScalingRun]:
        """Train scale 1.0 and the chosen scale with the current settings; plot and return the result."""
        out_dir = self.runs_dir / time.strftime("scaling-%Y%m%d-%H%M%S")
        self.run_button.disabled = True
        try:
            self.experiment_output.clear_output()
            with self.experiment_output:
                print(f"training into {out_dir}... (the notebook is busy until both runs finish)")
            with self.experiment_output:  # the training's progress shows here until the figure replaces it
                self.experiment = scaling.run_scaling_experiment(
                    model=self.model.value, scales=sorted({1.0, self.scale.value}, reverse=True),
                    width=self.width.value, lr=self.lr.value, out_dir=out_dir,
                )
            show_figure(self.experiment_output, plot_scaling_experiment(self.experiment))
        except Exception as error:
            show_error(self.experiment_output, error)
            raise
        finally:
            self.run_button.disabled = False
        return self.experiment

    def _on_change(self, change) -> None:
        self.refresh()

    def _on_run(self, button) -> None:
        self.run_experiment()


def activation_scaling_explorer(
    model: str = scaling.DEFAULT_MODEL, scale: float = 0.2, width: float | None = None,
    runs_dir: str | os.PathLike | None = None,
) -> ActivationScalingExplorer:
    """A widget to see what residual scaling does: display it as the last line of a notebook cell.

    The button trains into ``runs_dir`` (default ``config.runs_dir("scaling", timestamp=False)``:
    ``<data root>/runs/scaling``, or in fast mode a temporary folder that lives as long as the kernel).

    Core ipywidgets only (works with ipywidgets 7.7 on Colab and 8 in JupyterLab, no custom widget
    manager needed). Without a widget front end call the plain functions in
    :mod:`inception_course.experiments` instead; they draw the same figures.
    """
    return ActivationScalingExplorer(model=model, scale=scale, width=width, runs_dir=runs_dir)
