"""One process of the ``--download`` test: ``python download_worker.py ARCHIVE ROOT OUT`` with the
variables torchrun would set. ``ARCHIVE`` (a local Imagenette-160 look-alike) stands in for fast.ai's
file; the network is made slow (a second per fetch) so that the ranks would overlap if each fetched.
Every fetch and extraction appends the rank that made it to ``ROOT/../fetches`` and ``../extractions``.
A first try with a wrong MD5 fails: each rank writes the error it raised to ``../rank<r>.error``;
then each writes the sizes of the data sets it sees to ``../rank<r>.sizes`` and trains."""

import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from training_tiny import TinyNet, tiny_settings  # noqa: E402

from inception_course.data import ChecksumError, downloads  # noqa: E402
from inception_course.training import TrainConfig, Trainer  # noqa: E402


def logged(function, log: Path, rank: int, delay: float = 0.0):
    def wrapper(*args, **kwargs):
        with open(log, "a") as f:
            f.write(f"{rank}\n")
        time.sleep(delay)
        return function(*args, **kwargs)

    return wrapper


def trainer(archive: Path, md5: str, root: Path, out: Path) -> Trainer:
    downloads.ARCHIVES["imagenette"]["160"] = downloads.Archive(archive.as_uri(), md5, "imagenette2-160")
    settings = tiny_settings(batch_size=4, data_root=str(root), download=True, data_kwargs={"size": "160"})
    config = TrainConfig.from_preset("inception_v4", "imagenette", out=str(out), **settings)
    return Trainer(config, model=TinyNet(num_classes=10))


if __name__ == "__main__":
    torch.set_num_threads(1)
    archive, root, out = map(Path, sys.argv[1:4])
    rank = int(os.environ["RANK"])
    downloads.download_url = logged(downloads.download_url, root.parent / "fetches", rank, delay=1.0)
    downloads.extract_archive = logged(downloads.extract_archive, root.parent / "extractions", rank)
    try:  # first with a wrong published MD5: rank 0's download fails, and every rank must stop
        trainer(archive, "0" * 32, root, out)
    except ChecksumError as error:
        (root.parent / f"rank{rank}.error").write_text(str(error))
    run = trainer(archive, downloads.md5sum(archive), root, out)
    (root.parent / f"rank{rank}.sizes").write_text(f"{len(run.train_set)} {len(run.val_set)}")
    run.fit()
