"""One process of the NaN-on-one-rank test: ``python nan_worker.py OUT BAD_STEP [LR]`` with the
variables torchrun would set. Rank 1 alone computes a NaN loss at optimiser step ``BAD_STEP``
(0: never); ``LR`` given: resume the run at that learning rate. A run stopped by the NaN writes its
message to ``OUT/../rank<r>.error`` and exits with status 1, as the command line does."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from training_tiny import TinyNet, tiny_settings  # noqa: E402

from inception_course.training import NonFiniteLossError, TrainConfig, Trainer  # noqa: E402


class NaNOnRankOne(Trainer):
    bad_step = 0

    def _loss(self, outputs, targets):
        loss = super()._loss(outputs, targets)
        return loss * float("nan") if self.ctx.rank == 1 and self.step + 1 == self.bad_step else loss


if __name__ == "__main__":
    torch.set_num_threads(1)
    out, NaNOnRankOne.bad_step = Path(sys.argv[1]), int(sys.argv[2])
    resume = {"resume": True, "lr": float(sys.argv[3])} if len(sys.argv) > 3 else {}
    settings = tiny_settings(batch_size=4, epochs=2, checkpoint_every=1, keep_checkpoints=100,
                             data_kwargs={"num_images": 32, "num_classes": 4}, **resume)
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=str(out), **settings)
    torch.manual_seed(0)
    trainer = NaNOnRankOne(config, model=TinyNet(num_classes=4))
    try:
        trainer.fit()
    except NonFiniteLossError as error:
        (out.parent / f"rank{trainer.ctx.rank}.error").write_text(str(error))
        sys.exit(1)
