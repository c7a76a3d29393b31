"""`ganfleet train --nproc N`: the torchrun command line and the workers' thread count."""

from __future__ import annotations

import sys

import pytest

from ganfleet.distributed.launch import torchrun_command, without_launch_flags, worker_environment
from ganfleet.errors import ClusterError


def test_launch_flags_are_not_passed_on() -> None:
    argv = ["train", "--nproc", "2", "--data", "digits", "--max-restarts=3", "--nproc=4", "--out", "r"]
    assert without_launch_flags(argv) == ["train", "--data", "digits", "--out", "r"]


def test_torchrun_command() -> None:
    assert torchrun_command(2, ["train", "--nproc", "2", "--out", "r"]) == [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "ganfleet", "train", "--out", "r"]
    assert "--max-restarts=3" in torchrun_command(2, ["train"], max_restarts=3)
    with pytest.raises(ClusterError, match="--nproc: expected at least 1"):
        torchrun_command(0, ["train"])
    with pytest.raises(ClusterError, match="--max-restarts: expected >= 0"):
        torchrun_command(2, ["train"], max_restarts=-1)


def test_workers_share_the_cores_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    assert worker_environment(2, {"PATH": "/bin"}) == {"PATH": "/bin", "OMP_NUM_THREADS": "4"}
    assert worker_environment(16, {})["OMP_NUM_THREADS"] == "1"
    assert worker_environment(2, {"OMP_NUM_THREADS": "3"})["OMP_NUM_THREADS"] == "3"
