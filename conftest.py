"""Test-wide settings: fast mode for every test and notebook, and a non-interactive plot backend.

Set before any kernel starts, so nbval's notebook kernels inherit them.
"""

import os

os.environ.setdefault("INCEPTION_COURSE_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")
