"""metrics.jsonl always; TensorBoard scalars beside it when the `tb` extra is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganfleet.rundir import MetricsLog, read_metrics


def test_records_are_json_lines_and_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path / "metrics.jsonl")
    log.write({"step": 1, "mean": {"d_loss": 0.5}})
    log.close()
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 2, "me')
    assert read_metrics(tmp_path / "metrics.jsonl") == [{"step": 1, "mean": {"d_loss": 0.5}}]


def test_tensorboard_scalars_with_the_tb_extra(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="the tb extra is not installed (make install EXTRAS=dev,tb)")
    log = MetricsLog(tmp_path / "metrics.jsonl", tmp_path / "tensorboard")
    log.write({"step": 3, "mean": {"d_loss": 0.5}, "pairs": {"class-0000": {"g_loss": 1.5}}})
    log.close()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
