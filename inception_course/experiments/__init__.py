"""The paper's two claims as experiments a student can run, measure and plot without any widget.

* Residual scaling (paper section 3.3): :func:`activation_statistics` / :func:`measure_network`
  (per-block activation statistics), :func:`run_scaling_experiment` and :func:`died`.
* Residual vs plain (the paper's training curves, Figs. 21-24, AAAI Figs. 8-9): :data:`PAIRS` and :func:`run_pair`.
* Recorded runs: :func:`list_runs`, :func:`load_run` (``data/results/`` ships runs with provenance;
  ``python -m inception_course.experiments.record`` re-records them).
* Plots (matplotlib, return the figure): :func:`plot_activation_statistics`,
  :func:`plot_scaling_experiment`, :func:`plot_runs`.
"""

from .activations import BlockStats, activation_statistics, build_network, measure_network, widest_residual_block
from .plots import plot_activation_statistics, plot_runs, plot_scaling_experiment
from .residual_vs_plain import PAIRS, pair_of, run_pair
from .runs import Run, list_runs, load_run, results_dir, smooth
from .scaling import ScalingRun, Verdict, died, load_scaling_run, run_scaling_experiment

__all__ = [
    "BlockStats", "activation_statistics", "build_network", "measure_network", "widest_residual_block",
    "plot_activation_statistics", "plot_runs", "plot_scaling_experiment",
    "PAIRS", "pair_of", "run_pair",
    "Run", "list_runs", "load_run", "results_dir", "smooth",
    "ScalingRun", "Verdict", "died", "load_scaling_run", "run_scaling_experiment",
]
