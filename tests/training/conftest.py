"""Training tests run single-threaded: the CI machine has 2 cores shared with other test
processes, and oversubscribed BLAS threads make small convolutions many times slower."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
