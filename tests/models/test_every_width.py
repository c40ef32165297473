"""Every network builds and trains at any width in (0, 2], at its minimum input size; bad input
(dtype, batch of 1 in training) is refused with a message that says what to do."""

from __future__ import annotations

import pytest
import torch

from inception_course.models import create_model, list_models

# Widths whose rounding is not exact (0.07 x 96 = 6.72, 0.33 x 384 = 126.72, ...), so that every
# block's real output depth differs from the nominal one times the width; plus both ends of (0, 2].
WIDTHS = (0.01, 0.07, 0.33, 0.77, 1.45, 2.0)
# Two repeats per stage, so that each block is fed by a block of its own kind, not only by a stem
# or a reduction (Inception-v4 once gave every block the nominal depth and failed there).
SMALL = {name: {"depths": (2, 2, 2)} for name in ("inception_v4", "inception_resnet_v1", "inception_resnet_v2")}
CONFIGS = {"googlenet": ("reference", "paper"), "inception_v2": ("reference", "paper"),
           "inception_resnet_v1": ("reference", "paper"), "inception_resnet_v2": ("reference", "paper")}
# Auxiliary heads need larger grids than the main network (they say so); the sweep is about the
# main network's channel plumbing at its minimum size, the aux heads are tested below.
NO_AUX = {"googlenet": {"aux_logits": False}, "inception_v3": {"aux_logits": False}}
CASES = [(name, config) for name in list_models() for config in CONFIGS.get(name, ("reference",))]


def train_step(model: torch.nn.Module, image_size: int) -> torch.Tensor:
    """One forward + backward on a batch of 2; returns the logits."""
    torch.manual_seed(0)
    out = model.train()(torch.randn(2, 3, image_size, image_size))
    logits = out[0] if isinstance(out, tuple) else out
    sum(o.sum() for o in (out if isinstance(out, tuple) else (out,))).backward()
    return logits


@pytest.mark.parametrize("name, config", CASES)
def test_builds_and_trains_at_any_width(name, config):
    for width in WIDTHS:
        options = {**SMALL.get(name, {}), **NO_AUX.get(name, {})}
        model = create_model(name, num_classes=3, width=width, config=config, **options)
        logits = train_step(model, model.min_image_size)
        assert logits.shape == (2, 3), (name, width)
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters()), (name, width)


@pytest.mark.parametrize("name, config, image_size", [("googlenet", "reference", 15), ("googlenet", "paper", 224),
                                                      ("inception_v3", "reference", 299)])
def test_auxiliary_heads_at_odd_widths(name, config, image_size):
    for width in (0.07, 0.33):
        model = create_model(name, num_classes=3, width=width, config=config, aux_logits=True)
        out = model.train()(torch.randn(2, 3, image_size, image_size))
        assert isinstance(out, tuple) and all(o.shape == (2, 3) for o in out)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_other_float_dtype_is_refused_with_the_fix(dtype):
    model = create_model("inception_v4", width=0.05, depths=(0, 0, 0)).eval()
    with pytest.raises(ValueError, match=r"torch.float32 weights but got a .*x.to\(torch.float32\)"):
        model(torch.randn(2, 3, 75, 75, dtype=dtype))
    assert model.double()(torch.randn(2, 3, 75, 75, dtype=torch.float64)).dtype == torch.float64


def test_autocast_input_of_another_dtype_is_accepted():
    model = create_model("googlenet", width=0.05, aux_logits=False).eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(torch.randn(2, 3, 32, 32, dtype=torch.bfloat16)).shape == (2, 1000)


def test_batch_of_one_in_training_mode_says_batch_norm_needs_two():
    model = create_model("inception_resnet_v2", width=0.05, depths=(0, 0, 0))
    x = torch.randn(1, 3, 75, 75)
    with pytest.raises(ValueError, match=r"batch norm needs a batch of at least 2.*model.eval\(\)"):
        model.train()(x)
    assert model.eval()(x).shape == (1, 1000)
