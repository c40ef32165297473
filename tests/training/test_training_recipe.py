"""The recipe's pieces against numbers computed by hand: TF-style RMSProp, the schedule, the
weight average, presets."""

import math

import pytest
import torch
from torch import nn

from inception_course.training import (
    ModelEMA, PaperLRFactor, RMSpropTF, TrainConfig, Trainer, paper_schedule, preset, scale_lr,
)


def _rmsprop_steps(optimizer_cls, steps=2, **kwargs):
    p = nn.Parameter(torch.tensor([1.0]))
    opt = optimizer_cls([p], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * p).sum().backward()  # gradient 0.5
        opt.step()
    return p.item()


def test_rmsprop_tf_matches_hand_computed_update():
    lr, decay, eps, mu, g = 0.1, 0.9, 1.0, 0.9, 0.5
    p, ms, mom = 1.0, 1.0, 0.0  # TensorFlow starts ms at one
    for _ in range(2):
        ms = decay * ms + (1 - decay) * g * g
        mom = mu * mom + lr * g / math.sqrt(ms + eps)  # epsilon inside the root, lr inside momentum
        p -= mom
    got = _rmsprop_steps(RMSpropTF, lr=lr, decay=decay, eps=eps, momentum=mu)
    assert got == pytest.approx(p, rel=1e-6)
    # PyTorch's RMSprop with the same numbers is a different optimiser (the reason RMSpropTF exists)
    torch_p = _rmsprop_steps(torch.optim.RMSprop, lr=lr, alpha=decay, eps=eps, momentum=mu)
    assert abs(torch_p - p) > 1e-3


def test_rmsprop_tf_weight_decay_adds_l2_gradient():
    wd = 0.1
    g = 0.5 + wd * 1.0
    ms = 0.9 + 0.1 * g * g
    expected = 1.0 - 0.1 * g / math.sqrt(ms + 1.0)
    assert _rmsprop_steps(RMSpropTF, steps=1, lr=0.1, momentum=0.0, weight_decay=wd) == pytest.approx(expected, rel=1e-6)


def test_paper_schedule_decays_every_two_epochs_with_warmup():
    f = PaperLRFactor(steps_per_epoch=10)
    assert [f(s) for s in (0, 19, 20, 39, 40)] == pytest.approx([1, 1, 0.94, 0.94, 0.94**2])
    warm = PaperLRFactor(steps_per_epoch=10, warmup_epochs=1.0)
    assert [warm(s) for s in (0, 4, 9, 10)] == pytest.approx([0.1, 0.5, 1.0, 1.0])

    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.045)
    sched = paper_schedule(opt, steps_per_epoch=3)
    lrs = []
    for _ in range(13):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == lrs[5] == pytest.approx(0.045)
    assert lrs[6] == lrs[11] == pytest.approx(0.045 * 0.94)
    assert lrs[12] == pytest.approx(0.045 * 0.94**2)


def test_scale_lr_rules():
    assert scale_lr(0.045, 64) == pytest.approx(0.09)
    assert scale_lr(0.045, 128, rule="sqrt") == pytest.approx(0.09)
    assert scale_lr(0.045, 1024, rule="none") == 0.045
    with pytest.raises(ValueError, match="linear"):
        scale_lr(0.045, 64, rule="cubic")


def test_ema_update_and_decay_warmup():
    model = nn.BatchNorm1d(1)
    model.weight.data.fill_(0.0)
    ema = ModelEMA(model, decay=0.9)
    model.weight.data.fill_(1.0)
    model.num_batches_tracked.fill_(7)
    ema.update(model)  # first decay min(0.9, 1/10) = 0.1
    assert ema.module.weight.item() == pytest.approx(0.9)
    assert ema.module.num_batches_tracked.item() == 7  # integer buffers are copied
    plain = ModelEMA(nn.Linear(1, 1, bias=False), decay=0.9, warmup=False)
    plain.module.weight.data.fill_(0.0)
    source = nn.Linear(1, 1, bias=False)
    source.weight.data.fill_(1.0)
    plain.update(source)
    plain.update(source)
    assert plain.module.weight.item() == pytest.approx(1 - 0.9**2)


def test_presets_and_config():
    assert preset("googlenet", "imagenet", fast=False)["aux_weights"] == (0.3, 0.3)
    assert preset("inception_v3", "imagenet", fast=False)["aux_weights"] == (0.4,)
    assert preset("inception_v3", "synthetic", fast=True)["aux_weights"] == ()  # its head needs 299 px
    full = preset("inception_v4", "imagenet", fast=False)
    cfg = TrainConfig(**{"model": "inception_v4", "data": "imagenet", **full})
    assert (cfg.optimizer, cfg.base_lr, cfg.rmsprop_eps, cfg.rmsprop_decay, cfg.momentum) == ("rmsprop", 0.045, 1.0, 0.9, 0.9)
    assert (cfg.lr_decay, cfg.lr_decay_epochs, cfg.label_smoothing) == (0.94, 2.0, 0.1)
    assert preset("inception_v4", "synthetic", fast=True)["depths"] == (1, 1, 1)
    with pytest.raises(ValueError, match="unknown training setting.*batchsize"):
        TrainConfig.from_preset("inception_v4", "synthetic", batchsize=3)
    with pytest.raises(ValueError, match="no training preset for model"):
        TrainConfig.from_preset("resnet50", "synthetic")


def _tiny_trainer(tmp_path, name, **overrides):
    from training_tiny import TinyNet, tiny_settings

    torch.manual_seed(0)
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(tmp_path / name), **tiny_settings(**overrides))
    return Trainer(config, model=TinyNet(num_classes=4))


def test_auxiliary_losses_are_weighted(tmp_path):
    import torch.nn.functional as F

    trainer = _tiny_trainer(tmp_path, "aux", aux_weights=(0.3, 0.3), label_smoothing=0.0)
    logits, aux1, aux2 = torch.randn(3, 5, 4).unbind(0)
    targets = torch.tensor([0, 1, 2, 3, 0])
    expected = F.cross_entropy(logits, targets) + 0.3 * F.cross_entropy(aux1, targets) + 0.3 * F.cross_entropy(aux2, targets)
    assert trainer._loss((logits, aux1, aux2), targets).item() == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match="2 auxiliary outputs but aux_weights has 1"):
        _tiny_trainer(tmp_path, "aux1", aux_weights=(0.4,))._loss((logits, aux1, aux2), targets)


def test_gradient_accumulation_matches_the_full_batch(tmp_path):
    # TinyNet has no batch norm, so 2 x 2 accumulated images give the gradient of 4 (up to rounding)
    full = _tiny_trainer(tmp_path, "full", batch_size=4)
    accumulated = _tiny_trainer(tmp_path, "accum", batch_size=2, accum_steps=2)
    assert full.steps_per_epoch == accumulated.steps_per_epoch == 6 and full.lr == accumulated.lr
    full.fit()
    accumulated.fit()
    for a, b in zip(full.model.parameters(), accumulated.model.parameters()):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


def _ema_by_state_dict(ema: ModelEMA, model: nn.Module) -> None:
    """The weight average written out entry by entry through ``state_dict`` (the definition)."""
    d, weights = ema.current_decay(), model.state_dict()
    for name, average in ema.module.state_dict().items():
        if average.is_floating_point():
            average.lerp_(weights[name].to(average.dtype), 1.0 - d)
        else:
            average.copy_(weights[name])
    ema.num_updates += 1


def test_ema_update_equals_the_state_dict_definition_bit_for_bit():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    model(torch.randn(2, 3, 6, 6))
    fast, reference = ModelEMA(model, decay=0.99), ModelEMA(model, decay=0.99)
    for step in range(4):
        if step == 2:
            model.double()  # replaces every tensor: the average must follow the new ones
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        model(torch.randn(2, 3, 6, 6, dtype=next(model.parameters()).dtype))  # moves the batch-norm statistics
        fast.update(model)
        _ema_by_state_dict(reference, model)
    ours, expected = fast.module.state_dict(), reference.module.state_dict()
    assert ours.keys() == expected.keys()
    for name in ours:
        assert torch.equal(ours[name], expected[name]), name
    assert ours["1.num_batches_tracked"].item() == 5  # the lazy layer's first pass, then four steps
