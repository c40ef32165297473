"""Small plots of the experiments package that no other test covers: each draws what it is given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from inception_course.experiments import plot_residual_ratio  # noqa: E402


def test_plot_residual_ratio_draws_the_sweep_and_shades_the_papers_range():
    fig = plot_residual_ratio([0.1, 0.5, 1.0], [0.02, 0.1, 0.2])
    try:
        ax = fig.axes[0]
        (line,) = ax.lines
        assert list(line.get_xdata()) == [0.1, 0.5, 1.0] and list(line.get_ydata()) == [0.02, 0.1, 0.2]
        (span,) = ax.patches
        xs = ax.transData.inverted().transform(span.get_verts())[:, 0]   # a Rectangle or a Polygon, by version
        assert abs(min(xs) - 0.1) < 1e-9 and abs(max(xs) - 0.3) < 1e-9 and "0.1-0.3" in ax.get_legend_handles_labels()[1][0]
    finally:
        plt.close(fig)
