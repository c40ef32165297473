"""Tiny run directories in the trainer's format, written by the tests themselves."""

import json

import pytest

from inception_course.training.history import HistoryWriter


@pytest.fixture
def make_run(tmp_path):
    """``make_run(name, model=..., val=[(top1, top5, loss), ...], zeros=[...])`` -> run directory."""

    def make(name, model="inception_v3", val=((0.9, 0.5, 2.3), (0.7, 0.3, 1.9)), zeros=(0.5, 0.5), device="cpu", root=None):
        run_dir = (root or tmp_path) / name
        run_dir.mkdir(parents=True)
        config = {
            "config": {"model": model, "data": "synthetic", "device": None, "width": 0.25, "model_kwargs": {}},
            "command": None,
            "resolved": {"image_size": 75},
            "environment": {"device": device, "torch": "2.x", "date": "2026-01-01T00:00:00+00:00"},
        }
        (run_dir / "config.json").write_text(json.dumps(config))
        writer = HistoryWriter(run_dir)
        steps_per_epoch = len(zeros) // len(val) or 1
        for step, zero in enumerate(zeros, start=1):
            writer.append({"kind": "train", "step": step, "epoch": step / steps_per_epoch, "wall_time": 10.0 * step,
                           "train_loss": 2.0 / step, "lr": 0.1, "images_per_s": 1.0, "skipped_steps": 0,
                           "zero_fraction": zero, "grad_norm": 1.0 / step})
        for epoch, (top1, top5, loss) in enumerate(val, start=1):
            writer.append({"kind": "val", "step": epoch * steps_per_epoch, "epoch": epoch, "wall_time": 25.0 * epoch,
                           "val_loss": loss, "val_top1_err": top1, "val_top5_err": top5})
        return run_dir

    return make
