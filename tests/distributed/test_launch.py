"""`ganfleet train --nproc N`: torchrun's arguments, the checks before any process starts, the workers' threads,
and the one line the launcher makes of what its workers recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from ganfleet.distributed.launch import (
    LAUNCHER_PID,
    WORKER_ERRORS,
    check_launch,
    failure_line,
    job_line,
    record_worker_line,
    torchrun_arguments,
    without_launch_flags,
    worker_environment,
    worker_lines,
)
from ganfleet.errors import ClusterError


def test_launch_flags_are_not_passed_on() -> None:
    argv = ["train", "--nproc", "2", "--data", "digits", "--max-restarts=3", "--nproc=4", "--out", "r"]
    assert without_launch_flags(argv) == ["train", "--data", "digits", "--out", "r"]


def test_torchrun_arguments() -> None:
    assert torchrun_arguments(2, ["train", "--nproc", "2", "--out", "r"]) == [
        "--standalone",
        "--nproc-per-node=2",
        "-m",
        "ganfleet",
        "train",
        "--out",
        "r",
    ]
    assert "--max-restarts=3" in torchrun_arguments(2, ["train"], max_restarts=3)


def test_bad_process_counts_are_refused_before_anything_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(2)))
    check_launch(2)
    with pytest.raises(ClusterError, match="--nproc: expected at least 1"):
        check_launch(0)
    with pytest.raises(ClusterError, match="--nproc: 3 processes but this machine has 2 usable core"):
        check_launch(3)
    with pytest.raises(ClusterError, match="--max-restarts: expected >= 0"):
        check_launch(2, max_restarts=-1)


def test_workers_share_the_cores_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(8)))
    assert worker_environment(2, {"PATH": "/bin"}) == {"PATH": "/bin", "OMP_NUM_THREADS": "4"}
    assert worker_environment(16, {})["OMP_NUM_THREADS"] == "1"
    assert worker_environment(2, {"OMP_NUM_THREADS": "3"})["OMP_NUM_THREADS"] == "3"


def test_the_launcher_reports_the_root_cause_of_the_newest_attempt(tmp_path: Path) -> None:
    def worker(rank: int, attempt: int) -> dict[str, str]:
        return {
            WORKER_ERRORS: str(tmp_path),
            LAUNCHER_PID: str(os.getppid()),
            "RANK": str(rank),
            "TORCHELASTIC_RESTART_COUNT": str(attempt),
        }

    assert record_worker_line("error", "old attempt", False, worker(1, 0))
    assert record_worker_line("error", "rank 1 failed: DataError: bad", True, worker(0, 1))
    assert record_worker_line("error", "bad", False, worker(1, 1))
    assert [r["line"] for r in worker_lines(tmp_path)] == ["bad", "rank 1 failed: DataError: bad"]
    not_the_parent = str(os.getppid() + 1)  # not "1": a test run whose parent died is a child of pid 1
    assert not record_worker_line(
        "error", "x", False, {**worker(0, 0), LAUNCHER_PID: not_the_parent}
    )  # the launcher is gone: print it
    assert not record_worker_line("error", "x", False, {})  # not a worker of --nproc
    assert json.loads(next(tmp_path.glob("attempt-0000-*")).read_text())["line"] == "old attempt"


def test_a_worker_that_died_without_a_word() -> None:
    killed = SimpleNamespace(exitcode=-9, pid=42, signal_name=lambda: "SIGKILL")
    assert failure_line({1: killed, 0: SimpleNamespace(exitcode=1, pid=41)}) == (
        "rank 0 (pid 41) exited with status 1; rank 1 (pid 42) was killed by SIGKILL"
    )


def test_the_line_of_a_failed_job() -> None:
    own = {"kind": "error", "line": "data.npz: bad", "relayed": False, "rank": 1}
    relayed = {"kind": "error", "line": "lost contact with another rank", "relayed": True, "rank": 0}
    stopped = {"kind": "interrupted", "line": "stopped by SIGTERM at step 5", "relayed": False, "rank": 0}
    killed = {1: SimpleNamespace(exitcode=-9, pid=42, signal_name=lambda: "SIGKILL")}
    assert job_line([relayed, own], {}) == (2, "error: data.npz: bad")
    assert job_line([relayed], killed) == (
        2,
        "error: rank 1 (pid 42) was killed by SIGKILL",
    )  # not rank 0's report of it
    assert job_line([relayed], {}) == (2, "error: lost contact with another rank")
    assert job_line([stopped, {**stopped, "rank": 1}], {}) == (130, "interrupted: stopped by SIGTERM at step 5")
    assert job_line([], killed) == (2, "error: rank 1 (pid 42) was killed by SIGKILL")
    assert job_line([stopped], killed) == (2, "error: rank 1 (pid 42) was killed by SIGKILL")  # rank 0 was then stopped
