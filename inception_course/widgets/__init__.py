"""ipywidgets front ends for the experiments: wiring only, every number and figure comes from
:mod:`inception_course.experiments`.

Core ipywidgets only, so they work with ipywidgets 7.7 (Colab) and 8 (JupyterLab, VS Code). Colab
needs nothing extra for core widgets (no ``enable_custom_widget_manager()``). Where no widget front
end is present (nbval, scripts) the widgets still construct, and the same figures come from the
plain functions they call (``plot_activation_statistics``, ``plot_scaling_experiment``, ``plot_runs``).
"""

from .residual import ResidualVsPlainExplorer, residual_vs_plain_explorer
from .scaling import ActivationScalingExplorer, activation_scaling_explorer

__all__ = [
    "ActivationScalingExplorer", "activation_scaling_explorer",
    "ResidualVsPlainExplorer", "residual_vs_plain_explorer",
]
