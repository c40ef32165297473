"""One process of the NaN-on-one-rank test: ``python nan_worker.py OUT`` with the variables torchrun
would set. Rank 1 alone computes a NaN loss at optimiser step 3; each rank writes the message it
stopped with to ``OUT/../rank<r>.error``. Then the run is resumed at a lower learning rate, to its
end. (The process group is joined here, not by the trainer, so that it outlives the first run.)"""

import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))
from training_tiny import TinyNet, tiny_settings  # noqa: E402

from inception_course.training import NonFiniteLossError, TrainConfig, Trainer  # noqa: E402

BAD_STEP = 3


class NaNOnRankOne(Trainer):
    def _loss(self, outputs, targets):
        loss = super()._loss(outputs, targets)
        return loss * float("nan") if self.ctx.rank == 1 and self.step + 1 == BAD_STEP else loss


def config(out: Path, **resume) -> TrainConfig:
    settings = tiny_settings(batch_size=4, epochs=2, checkpoint_every=1, keep_checkpoints=100,
                             data_kwargs={"num_images": 32, "num_classes": 4}, **resume)
    return TrainConfig.from_preset("inception_v4", "synthetic", out=str(out), **settings)


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    dist.init_process_group("gloo")
    torch.manual_seed(0)
    try:
        NaNOnRankOne(config(out), model=TinyNet(num_classes=4)).fit()
    except NonFiniteLossError as error:
        (out.parent / f"rank{dist.get_rank()}.error").write_text(str(error))
    Trainer(config(out, resume=True, lr=0.01), model=TinyNet(num_classes=4)).fit()
    dist.destroy_process_group()
