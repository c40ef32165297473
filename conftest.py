"""Test-wide settings: fast mode for every test and notebook, a non-interactive plot backend, no
progress bars, and one CPU thread per test process.

pytest-xdist runs one worker per core (``-n auto`` in pyproject.toml), so each worker and each
notebook kernel gets a single thread: two processes with two threads each on a 2-core machine run
several times slower than with one. Set before torch is imported and before any kernel starts,
so nbval's notebook kernels inherit them.
"""

import os

os.environ.setdefault("INCEPTION_COURSE_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
