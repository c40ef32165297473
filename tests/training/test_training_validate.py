"""End-of-epoch validation on devices and process counts this machine lacks: an Apple GPU (faked)
and two gloo processes whose batch norm statistics differ."""

import contextlib
from pathlib import Path

import pytest
import torch
from torch import nn

from inception_course.training import validate
from inception_course.training.distributed import DistContext
from gloo import launch, succeed

WORKER = Path(__file__).with_name("bn_worker.py")


def test_validation_builds_no_float64_tensor_on_an_apple_gpu(monkeypatch):
    """MPS has no float64: the sums are float32 there, float64 elsewhere. The MPS device is faked:
    tensors asked for on it are made on the CPU, recording the dtype they were asked in."""
    requested, real_zeros = [], torch.zeros

    def zeros(*size, dtype=None, device=None):
        requested.append((torch.device(device).type, dtype))
        return real_zeros(*size, dtype=dtype)

    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    batches = [(torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]))]
    monkeypatch.setattr(validate.torch, "zeros", zeros)
    results = {
        kind: validate.evaluate(model, batches, lambda x, y: (x, y), contextlib.nullcontext,
                                DistContext(device=torch.device(kind)))
        for kind in ("mps", "cpu")
    }
    assert requested == [("mps", torch.float32), ("cpu", torch.float64)]
    assert results["mps"] == pytest.approx(results["cpu"])


def test_every_rank_validates_with_rank_0s_batch_norm_statistics(tmp_path):
    succeed(launch(WORKER, tmp_path))
    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt") for r in range(2))
    assert (rank0["0.running_mean"] == 0).all() and (rank0["0.running_var"] == 1).all()  # rank 0 kept its own
    assert rank0.keys() == rank1.keys()
    for name, value in rank0.items():
        assert torch.equal(value, rank1[name]), name  # rank 1 now holds rank 0's
