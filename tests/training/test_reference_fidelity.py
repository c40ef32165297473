"""The recipe's pieces against their references: per-tensor clipping (TF-slim's
``clip_gradient_norms``), RMSpropTF against timm's, the weight average against PyTorch's
``AveragedModel``."""

import copy

import pytest
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from inception_course.training import ModelEMA, RMSpropTF, TrainConfig, clip_grad_norm_per_tensor_, clip_gradients_
from inception_course.training.cli import config_from_args

timm_optim = pytest.importorskip("timm.optim")


def _params_with_grads(norms, dtype=torch.float64):
    """Parameters whose gradients have exactly the given L2 norms (random directions)."""
    generator = torch.Generator().manual_seed(0)
    params = []
    for i, norm in enumerate(norms):
        p = nn.Parameter(torch.randn(3 + i, 2, generator=generator, dtype=dtype))
        g = torch.randn(p.shape, generator=generator, dtype=dtype)
        p.grad = g * (norm / g.norm())
        params.append(p)
    return params


def test_per_tensor_clipping_clips_each_gradient_separately():
    norms = [5000.0, 3.0, 0.5, 2.0, 0.0]
    params = _params_with_grads(norms)
    before = [p.grad.clone() for p in params]
    total = clip_grad_norm_per_tensor_(params, max_norm=2.0)
    # the returned value is the global norm before clipping, as clip_grad_norm_ returns it
    assert total.item() == pytest.approx(sum(n * n for n in norms) ** 0.5, rel=1e-9)
    for p, g, norm in zip(params, before, norms):
        expected = g * (2.0 / norm) if norm > 2.0 else g  # tf.clip_by_norm, tensor by tensor
        torch.testing.assert_close(p.grad, expected, rtol=1e-12, atol=0)
        assert p.grad.norm().item() == pytest.approx(min(norm, 2.0), rel=1e-9, abs=1e-12)


def test_global_clipping_is_one_factor_for_all_and_differs():
    norms = [5000.0, 3.0, 0.5]
    per_tensor, global_ = _params_with_grads(norms), _params_with_grads(norms)
    reference = _params_with_grads(norms)
    clip_gradients_(per_tensor, 2.0, "per_tensor")
    total = clip_gradients_(global_, 2.0, "global")
    expected_total = torch.nn.utils.clip_grad_norm_(reference, 2.0)
    assert total.item() == pytest.approx(expected_total.item())
    for a, b in zip(global_, reference):
        torch.testing.assert_close(a.grad, b.grad)
    # the small gradient: untouched per tensor, shrunk ~2500x by the global factor
    assert per_tensor[2].grad.norm().item() == pytest.approx(0.5)
    assert global_[2].grad.norm().item() < 0.5 / 1000
    with pytest.raises(ValueError, match="per_tensor"):
        clip_gradients_(per_tensor, 2.0, "layerwise")


def test_paper_recipe_clips_per_tensor_and_the_flag_switches_it():
    assert TrainConfig().clip_mode == "per_tensor"
    assert TrainConfig.from_preset("inception_v3", "synthetic").clip_mode == "per_tensor"
    assert config_from_args(["--clip-mode", "global"]).clip_mode == "global"
    with pytest.raises(SystemExit):
        config_from_args(["--clip-mode", "layerwise"])


@pytest.mark.parametrize(
    "lr, decay, eps, momentum, weight_decay",
    [
        (0.045, 0.9, 1.0, 0.9, 0.0),  # the paper's recipe
        (0.01, 0.9, 1.0, 0.9, 4e-5),  # with TF-slim's L2 weight decay
        (0.1, 0.99, 1e-3, 0.5, 1e-2),
        (0.05, 0.8, 1e-8, 0.0, 0.0),  # no momentum: timm keeps no buffer, the arithmetic agrees
    ],
)
def test_rmsprop_tf_matches_timm_step_for_step(lr, decay, eps, momentum, weight_decay):
    """timm's ``RMSpropTF`` (alpha = our decay, L2 weight decay added to the gradient, lr inside
    the momentum buffer) is the same optimiser. The one convention that differs: timm updates the
    mean square in TensorFlow's order, ``ms += (1 - decay) * (g**2 - ms)``, ours as
    ``ms = decay * ms + (1 - decay) * g**2``: equal in exact arithmetic, so in float64 the two
    agree to rounding over many steps."""
    generator = torch.Generator().manual_seed(1)
    start = torch.randn(4, 5, generator=generator, dtype=torch.float64)
    ours, theirs = nn.Parameter(start.clone()), nn.Parameter(start.clone())
    opt_ours = RMSpropTF([ours], lr=lr, decay=decay, eps=eps, momentum=momentum, weight_decay=weight_decay)
    opt_timm = timm_optim.RMSpropTF([theirs], lr=lr, alpha=decay, eps=eps, momentum=momentum, weight_decay=weight_decay)
    for step in range(8):
        grad = torch.randn(start.shape, generator=generator, dtype=torch.float64) * 10 ** (step % 3)
        ours.grad, theirs.grad = grad.clone(), grad.clone()
        opt_ours.step()
        opt_timm.step()
        torch.testing.assert_close(ours.data, theirs.data, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(opt_ours.state[ours]["ms"], opt_timm.state[theirs]["square_avg"], rtol=1e-12, atol=1e-12)
    assert not torch.equal(ours.data, start)  # the optimiser did move the weights


def _small_bn_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)).double()


def test_weight_average_matches_torch_averaged_model():
    """``ModelEMA(warmup=False)`` equals ``AveragedModel(get_ema_multi_avg_fn(decay),
    use_buffers=True)`` (whose first update copies the weights, as our constructor does) on every
    parameter and every floating-point buffer - batch-norm running mean and variance are averaged
    too, as TensorFlow's Inception training averaged its moving statistics. The one documented
    difference: integer buffers (batch norm's step counter) are copied by ours and averaged (then
    truncated) by PyTorch's."""
    decay = 0.8
    model = _small_bn_net()
    ema = ModelEMA(model, decay=decay, warmup=False)
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    averaged.update_parameters(model)  # the reference's first call copies, like ModelEMA(...)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(2)
    for _ in range(6):
        images = torch.randn(5, 3, 6, 6, generator=generator, dtype=torch.float64)
        loss = model(images).pow(2).mean()  # train mode: batch norm updates its running statistics
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema.update(model)
        averaged.update_parameters(model)
    ours, reference = ema.module.state_dict(), averaged.module.state_dict()
    for name, value in ours.items():
        if value.is_floating_point():
            torch.testing.assert_close(value, reference[name], rtol=1e-12, atol=1e-12, msg=name)
    assert not torch.allclose(ours["1.running_mean"], model.state_dict()["1.running_mean"])  # averaged, not copied
    counter = "1.num_batches_tracked"
    assert ours[counter].item() == model.state_dict()[counter].item() == 6
    assert reference[counter].item() != 6  # PyTorch averages the counter too


def test_weight_average_warmup_follows_tensorflow_num_updates():
    """With ``warmup`` the decay is TensorFlow's ``min(decay, (1 + n) / (10 + n))``: the same as
    the reference average driven with that decay sequence."""
    model = _small_bn_net()
    ema = ModelEMA(model, decay=0.99)
    expected = copy.deepcopy(model).state_dict()
    for n in range(5):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.1 * (n + 1))
        ema.update(model)
        d = min(0.99, (1 + n) / (10 + n))
        expected = {k: d * v + (1 - d) * model.state_dict()[k] if v.is_floating_point() else model.state_dict()[k]
                    for k, v in expected.items()}
    for name, value in ema.module.state_dict().items():
        torch.testing.assert_close(value, expected[name], rtol=1e-12, atol=1e-12, msg=name)


@pytest.mark.parametrize("mode", ["per_tensor", "global"])
def test_the_trainer_clips_with_the_configured_mode(tmp_path, mode):
    from training_tiny import TinyNet, tiny_settings

    from inception_course.training import Trainer

    settings = tiny_settings(optimizer="sgd", momentum=0.0, weight_decay=0.0, warmup_epochs=0.0, lr=1.0,
                             clip_grad_norm=1e-3, clip_mode=mode, ema_decay=None)
    torch.manual_seed(0)
    trainer = Trainer(TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path / mode), **settings),
                      model=TinyNet(num_classes=4))
    before = [p.detach().clone() for p in trainer.model.parameters()]
    generator = torch.Generator().manual_seed(0)
    trainer.train_step([(torch.randn(4, 3, 32, 32, generator=generator), torch.tensor([0, 1, 2, 3]))])
    steps = [(p.detach() - b).norm().item() for p, b in zip(trainer.model.parameters(), before)]
    limit = trainer._lr_used * 1e-3  # noqa: SLF001
    assert trainer._grad_norm.item() > 1e-2  # noqa: SLF001  (the logged norm is the one before clipping)
    if mode == "per_tensor":
        assert steps == pytest.approx([limit] * len(steps), rel=1e-3)  # every tensor cut to the threshold
    else:
        assert sum(s * s for s in steps) ** 0.5 == pytest.approx(limit, rel=1e-3)  # one factor for all


def test_per_tensor_clipping_keeps_each_gradients_dtype():
    torch.manual_seed(0)
    dtypes = (torch.float32, torch.float64, torch.bfloat16)
    params = [torch.zeros(n, dtype=d, requires_grad=True) for n, d in zip((5, 300, 7), dtypes)]
    for p in params:
        p.grad = torch.randn_like(p) * 3
    originals = [p.grad.clone() for p in params]
    total = clip_grad_norm_per_tensor_(params, max_norm=2.0)
    assert total.dtype == torch.float64
    for p, g in zip(params, originals):
        norm = g.norm().double()  # the norm in the gradient's dtype, the factor in float64
        factor = (2.0 / norm if norm > 2.0 else torch.tensor(1.0, dtype=torch.float64)).to(g.dtype)
        assert p.grad.dtype == g.dtype
        assert torch.equal(p.grad, g * factor)
