"""After a NaN the trainer names, and --resume takes, a checkpoint a lower learning rate continues from."""

from pathlib import Path

from inception_course.training import latest_checkpoint
from inception_course.training.checkpoint import list_checkpoints
from inception_course.training.monitors import diverging
from test_training_cli import TINY, run_cli


def test_diverging_compares_loss_and_weight_norm_with_the_runs_own_history():
    earlier = [{"loss": 0.7, "weight_norm": 10.0}, {"loss": 0.6, "weight_norm": 11.0}]
    assert diverging({"loss": 0.65, "weight_norm": 12.0}, earlier) is None
    assert "training loss 2.5 is over 1.5x the run's best 0.6" in diverging({"loss": 2.5, "weight_norm": 11.0}, earlier)
    assert "weight norm grew from 11 to 40" in diverging({"loss": 0.6, "weight_norm": 40.0}, earlier)
    assert diverging({"loss": 9.0, "weight_norm": 99.0}, []) is None  # nothing to compare with: healthy


def test_a_run_that_diverges_over_several_steps_resumes_with_a_lower_rate_to_the_end(tmp_path, capsys):
    out = Path(tmp_path / "run")
    flags = [*TINY, "--data-kwargs", '{"num_images": 64, "num_classes": 4}', "--batch-size", "4", "--epochs", "2",
             "--optimizer", "sgd", "--lr", "30", "--clip-grad-norm", "none", "--checkpoint-every", "1",
             "--log-every", "100", "--keep-checkpoints", "100", "--out", str(out)]
    status, line = run_cli(flags, capsys)
    assert status == 1 and "NaN" in line, line
    named = Path(line.split("the last good checkpoint is ")[1].split(". Resume")[0])
    newest_finite = list_checkpoints(out / "checkpoints")[-1]
    assert newest_finite == named  # every newer checkpoint was set aside, and --resume takes the one named
    diverged = sorted(p.name for p in (out / "checkpoints").glob("*.diverged"))
    assert diverged, "the run broke within one step of its first checkpoint: the test no longer tests divergence"
    assert latest_checkpoint(out / "checkpoints")[0] == named
    status, line = run_cli(["--resume", "--out", str(out), "--lr", "0.01", "--clip-grad-norm", "2.0"], capsys)
    assert status == 0, line
    assert latest_checkpoint(out / "checkpoints")[1]["step"] == 32  # 2 epochs of 16 steps
