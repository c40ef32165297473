"""One process of the distributed test: ``python ddp_worker.py OUT BATCH_SIZE`` with the variables
torchrun would set (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``)."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from training_tiny import TinyNet, tiny_settings  # noqa: E402

from inception_course.training import TrainConfig, Trainer  # noqa: E402

if __name__ == "__main__":
    torch.set_num_threads(1)
    out, batch_size = sys.argv[1], int(sys.argv[2])
    settings = tiny_settings(batch_size=batch_size, epochs=2, data_kwargs={"num_images": 32, "num_classes": 4})
    config = TrainConfig.from_preset("inception_v4", "synthetic", out=out, **settings)
    torch.manual_seed(0)  # the same initial weights in every run (DDP would also copy rank 0's)
    Trainer(config, model=TinyNet(num_classes=4)).fit()
