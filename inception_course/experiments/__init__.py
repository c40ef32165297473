"""The paper's two claims as experiments a student can run, measure and plot without any widget.

* Residual scaling (paper section 3.3): :func:`activation_statistics` / :func:`measure_network`
  (per-block activation statistics), :func:`run_scaling_experiment` and :func:`died`.
* Residual vs plain (the paper's training curves, Figs. 21-24, AAAI Figs. 8-9): :data:`PAIRS`,
  :func:`run_pair` and :func:`summarize_pair`.
* Why residual networks train faster (the mechanism): :func:`block_gradient_norms` and
  :func:`pair_gradient_norms` (gradient norm per block at initialisation and over the first steps).
* Recorded runs: :func:`list_runs`, :func:`load_run`, :func:`group_runs` (the seeds of one
  experiment, drawn as median and band) (``data/results/`` ships runs with provenance;
  ``python -m inception_course.experiments.record`` re-records them).
* Plots (matplotlib, return the figure): :func:`plot_activation_statistics`,
  :func:`plot_scaling_experiment`, :func:`plot_runs`, :func:`plot_block_gradients`,
  :func:`plot_residual_ratio`.
"""

from .activations import BlockStats, activation_statistics, build_network, measure_network, widest_residual_block
from .gradients import BlockGradients, block_gradient_norms, pair_gradient_norms
from .plots import (
    plot_activation_statistics, plot_block_gradients, plot_residual_ratio, plot_runs, plot_scaling_experiment,
)
from .residual_vs_plain import PAIRS, PairSummary, pair_of, run_pair, summarize_pair
from .runs import Run, RunGroup, group_runs, list_runs, load_run, results_dir, smooth
from .scaling import ScalingRun, Verdict, died, died_fractions, load_scaling_run, run_scaling_experiment, scaling_table

__all__ = [
    "BlockStats", "activation_statistics", "build_network", "measure_network", "widest_residual_block",
    "BlockGradients", "block_gradient_norms", "pair_gradient_norms",
    "plot_activation_statistics", "plot_block_gradients", "plot_residual_ratio", "plot_runs", "plot_scaling_experiment",
    "PAIRS", "PairSummary", "pair_of", "run_pair", "summarize_pair",
    "Run", "RunGroup", "group_runs", "list_runs", "load_run", "results_dir", "smooth",
    "ScalingRun", "Verdict", "died", "died_fractions", "load_scaling_run", "run_scaling_experiment", "scaling_table",
]
