"""The evaluation tests compute in float32 on every machine.

``evaluate`` and ``predict`` switch to bf16 by themselves on a CPU with native bf16 (CI's machines
have it, the development machine has not); tests that expect float32 results must not depend on
which machine runs them. The tests of that choice (``test_precision.py``) set the CPU's answer
themselves, both ways.
"""

import pytest

from inception_course import cpu


@pytest.fixture(autouse=True)
def cpu_without_native_bf16(monkeypatch):
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: False)
