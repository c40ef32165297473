"""The command line: flags generated from TrainConfig, presets, resume, errors."""

import errno
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inception_course.data.classes import IMAGENETTE_WNIDS
from inception_course.training import TrainConfig, Trainer, latest_checkpoint, load_history
from inception_course.training import checkpoint as checkpoint_module
from inception_course.training.checkpoint import list_checkpoints
from inception_course.training.cli import build_parser, config_from_args, main
from inception_course.training.train_config import SettingsError

REPO = Path(__file__).resolve().parents[2]


def test_flags_cover_every_setting_and_parse_types():
    config = config_from_args([
        "--model", "googlenet", "--data", "synthetic", "--epochs", "3", "--batch-size", "16", "--width", "0.5",
        "--depths", "1", "2", "--clip-grad-norm", "none", "--no-channels-last", "--optimizer", "sgd",
        "--model-kwargs", '{"config": "paper"}', "--aux-weights",
    ])
    assert (config.model, config.epochs, config.batch_size, config.width) == ("googlenet", 3, 16, 0.5)
    assert config.depths == (1, 2) and config.clip_grad_norm is None and config.channels_last is False
    assert config.optimizer == "sgd" and config.model_kwargs == {"config": "paper"} and config.aux_weights == ()
    assert config_from_args(["--model", "googlenet"]).aux_weights == (0.3, 0.3)  # preset kept when not given
    help_text = build_parser().format_help()
    for flag in ("--model", "--data", "--epochs", "--batch-size", "--image-size", "--width", "--out", "--resume",
                 "--accum-steps", "--precision", "--compile", "--sync-bn", "--ema-decay", "--lr"):
        assert flag in help_text
    with pytest.raises(SystemExit):
        config_from_args(["--optimizer", "adam"])


def test_resume_reads_the_run_config_and_applies_only_given_flags(tmp_path):
    saved = TrainConfig.from_preset("inception_v3", "synthetic", out=str(tmp_path), batch_size=3, epochs=1)
    (tmp_path / "config.json").write_text(json.dumps({"config": saved.to_dict()}))
    config = config_from_args(["--resume", "--out", str(tmp_path), "--epochs", "5"])
    assert (config.model, config.batch_size, config.epochs, config.resume) == ("inception_v3", 3, 5, True)


def test_bad_input_gives_a_message_and_an_error_status(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["--model", "resnet50"])
    assert info.value.code == 2 and "invalid choice: 'resnet50'" in capsys.readouterr().err
    assert main(["--data-kwargs", '{"colour": "red"}', "--out", str(tmp_path)]) == 2
    assert "unknown option(s) ['colour']" in capsys.readouterr().err


def test_python_dash_m_trains_on_synthetic_data_by_default(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inception_course.train", "--model", "inception_v4", "--width", "0.25",
         "--depths", "1", "1", "1", "--image-size", "75", "--batch-size", "4", "--num-workers", "0",
         "--data-kwargs", '{"num_images": 8}', "--log-every", "1", "--out", "run"],
        cwd=tmp_path, env={"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "INCEPTION_COURSE_FAST": "1",
                           "TQDM_DISABLE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "final val top-1 error" in result.stdout
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["config"]["data"] == "synthetic" and info["command"].startswith("python -m inception_course.train")
    assert {"device", "torch", "date", "host"} <= set(info["environment"])
    history = load_history(tmp_path / "run")
    assert [r["step"] for r in history.train] == [1, 2] and len(history.val) == 1
    assert (tmp_path / "run" / "checkpoints" / "step_00000002.pt").is_file()


# A run of seconds: Inception-v4's stem and reductions at 5% width on 75 px images.
TINY = ["--model", "inception_v4", "--width", "0.05", "--depths", "0", "0", "0", "--image-size", "75",
        "--batch-size", "2", "--num-workers", "0", "--device", "cpu", "--precision", "fp32",
        "--data-kwargs", '{"num_images": 8, "num_classes": 2}']


def run_cli(flags, capsys):
    """``(exit status, last line of stderr)``; asserts that no traceback was printed."""
    try:
        status = main(flags)
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return status, err.strip().splitlines()[-1] if err.strip() else ""


def imagenette_folder(root: Path, bad_image: bool) -> None:
    """An extracted, marked-complete Imagenette-160 with 2 images per class (one unreadable)."""
    folder = root / "imagenette2-160"
    for split in ("train", "val"):
        for wnid in IMAGENETTE_WNIDS:
            (folder / split / wnid).mkdir(parents=True)
            for i in range(2):
                Image.fromarray(np.full((40, 40, 3), 60 * i, np.uint8)).save(folder / split / wnid / f"{i}.JPEG")
    if bad_image:
        (folder / "train" / IMAGENETTE_WNIDS[3] / "0.JPEG").write_bytes(b"not a JPEG")
    (folder / ".complete").write_text("made by the test\n")


@pytest.mark.parametrize("case, status, words", [
    (["--data-kwargs", "[1, 2]"], 2, "--data-kwargs: [1, 2] is not a JSON object"),
    (["--model-kwargs", '{"colour": 1}'], 2, "inception_v4 has no option(s) colour; its options: config, width"),
    (["--label-smoothing", "2"], 2, "label_smoothing must be in [0, 1)"),
    (["--device", "cuda:99"], 2, "device 'cuda:99' is not available here"),
    pytest.param(["--device", "cuda"], 2, "device 'cuda' is not available here (torch sees 0 cuda device(s))",
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")),
    (["--device", "foo"], 2, "unknown device 'foo': use cpu, cuda"),
    (["--image-size", "0"], 2, "image_size must be at least 1"),
    (["--image-size", "40"], 2, "image_size 40 is below inception_v4's minimum of 75 px: pass --image-size 75"),
    (["--out", "{tmp}/a_file/run"], 1, "cannot write the run directory {tmp}/a_file/run (Not a directory): choose another --out"),
    (["--resume", "--out", "{tmp}/mistyped"], 2, "nothing to resume: {tmp}/mistyped does not exist"),
    (["--resume", "--out", "{tmp}/empty"], 2, "holds no checkpoint (a mistyped --out, or a run stopped before its first checkpoint). To start a new run there, drop --resume"),
    (["--resume", "--out", "{tmp}/garbage"], 1, "{tmp}/garbage/config.json is not a valid run configuration"),
    (["--data", "imagenette", "--data-root", "{tmp}/corrupt", "--data-kwargs", '{"size": "160"}'], 1,
     "imagenette2-160.tgz has MD5"),
    (["--data", "imagenette", "--data-root", "{tmp}/bad_image", "--data-kwargs", '{"size": "160"}', "--num-workers", "1"], 1,
     "cannot read image {tmp}/bad_image/imagenette2-160/train/n03000684/0.JPEG"),
])
def test_each_user_error_is_one_line_with_its_exit_status(tmp_path, capsys, case, status, words):
    (tmp_path / "a_file").write_text("a file where a folder should be")
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage").mkdir()
    (tmp_path / "garbage" / "config.json").write_text("<html>not JSON</html>")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "imagenette2-160.tgz").write_bytes(b"a cut-off download")
    imagenette_folder(tmp_path / "bad_image", bad_image=True)
    flags = [flag.replace("{tmp}", str(tmp_path)) for flag in case]
    got, line = run_cli([*TINY, "--out", str(tmp_path / "run"), *flags], capsys)
    assert (got, line.startswith("inception-train: error: ")) == (status, True), line
    assert words.replace("{tmp}", str(tmp_path)) in line
    assert not (tmp_path / "mistyped").exists()
    if "bad_image" not in str(flags):  # every other case fails before training: nothing is left behind
        assert not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(SettingsError, match="label_smoothing"):
        main([*TINY, "--label-smoothing", "2", "--out", str(tmp_path / "run"), "--debug"])


def test_read_only_disk_is_one_line(tmp_path, capsys, monkeypatch):
    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert run_cli([*TINY, "--out", str(tmp_path / "run")], capsys) == (
        1, f"inception-train: error: cannot write the run directory {tmp_path / 'run'} (Read-only file system):"
        " choose another --out"
    )


def test_full_disk_names_the_real_cause_and_keeps_older_checkpoints(tmp_path, capsys, monkeypatch):
    save = torch.save

    def fills_the_disk(state, file):
        if state["step"] < 4:
            return save(state, file)
        try:  # what torch does when the disk fills up: its own error, the real one as context
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598") from None

    monkeypatch.setattr(checkpoint_module.torch, "save", fills_the_disk)
    status, line = run_cli([*TINY, "--checkpoint-every", "2", "--out", str(tmp_path / "run")], capsys)
    assert status == 1 and "cannot write checkpoint" in line and "step_00000004.pt (No space left on device)" in line
    assert "free space" in line and "unexpected pos" not in line
    assert [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()] == ["step_00000002.pt"]


def test_nan_names_a_finite_checkpoint_that_resumes_with_a_lower_learning_rate(tmp_path, capsys):
    """The issue's run: SGD at lr 30 without clipping breaks. The checkpoint the message names holds
    finite weights, weight average and optimiser state, and --resume takes it with a lower lr."""
    out = Path(tmp_path / "run")
    flags = [*TINY, "--data-kwargs", '{"num_images": 64, "num_classes": 4}', "--batch-size", "4", "--epochs", "2",
             "--optimizer", "sgd", "--lr", "30", "--clip-grad-norm", "none", "--checkpoint-every", "1",
             "--log-every", "100", "--out", str(out)]
    status, line = run_cli(flags, capsys)
    # Which breaks first, the loss or the weights (an update can blow them up while its loss was
    # finite), depends on the arithmetic; either way the run stops, naming an earlier checkpoint.
    assert status == 1 and ("the training loss became NaN" in line or "state became NaN" in line), line
    bad_step = int(line.split(" at step ")[1].split()[0])
    named = Path(line.split("the last good checkpoint is ")[1].split(". Resume")[0])
    # A bad loss at step s came from the weights after step s - 1: that checkpoint is passed over too.
    assert int(named.stem.split("_")[1]) < bad_step - ("training loss" in line)
    for path in list_checkpoints(out / "checkpoints"):
        assert checkpoint_module.non_finite_parts(checkpoint_module.load_checkpoint(path)) == []
    assert latest_checkpoint(out / "checkpoints")[0] == named  # what --resume takes
    resumed = Trainer(TrainConfig.load(out).replace(resume=True, lr=0.01, clip_grad_norm=2.0))
    assert resumed.last_checkpoint == str(named) and resumed.resumed_changes == {"lr": (30.0, 0.01), "clip_grad_norm": (None, 2.0)}
    factor = resumed.scheduler.lr_lambdas[0](resumed.step)
    assert {group["lr"] for group in resumed.optimizer.param_groups} == {0.01 * factor}
    resumed.close()
