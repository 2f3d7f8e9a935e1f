"""--tensorboard: the evaluation records as TensorBoard scalars (tested where the extra is installed)."""

import json
import sys

import pytest
from click.testing import CliRunner

from distmatch.cli import cli

RUN = ["run", "--objective", "wgan-gp", "--dataset", "8gaussians", "--steps", "6", "--eval-every", "3",
       "--width", "8", "--depth", "1", "--eval-samples", "100", "--quiet", "--tensorboard"]


def test_scalars_equal_the_metrics_log(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "run"
    result = CliRunner().invoke(cli, RUN + ["--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"metrics/mmd", "metrics/hq", "train/g_loss", "train/critic_real", "time/mmd"} <= tags
    for tag, key in (("metrics/mmd", "mmd"), ("train/critic_fake", "critic_fake"), ("metrics/modes", "modes")):
        logged = [(e.step, e.value) for e in events.Scalars(tag)]
        expected = [(r["step"], r[key]) for r in records if r.get(key) is not None]
        assert [s for s, _ in logged] == [s for s, _ in expected]
        assert [v for _, v in logged] == pytest.approx([v for _, v in expected], rel=1e-6)
    # the flag is a runtime choice: resuming without it is allowed
    more = CliRunner().invoke(cli, RUN[:-1] + ["--steps", "9", "--resume", "--out", str(out)])
    assert more.exit_code == 0, more.output


def test_without_the_package_it_is_a_one_line_error_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, RUN + ["--out", str(out)])
    assert result.exit_code == 1
    assert "pip install 'distmatch[tensorboard]'" in result.output and "Traceback" not in result.output
    assert not out.exists()
