"""The run directory's lock: one writer; a dead holder's lock taken over with a warning, an earlier attempt's of the
same torchrun job silently; a live holder refused; only the holder removes it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ganfleet.errors import CheckpointError
from ganfleet.rundir import LOCK_NAME, RunLock
from ganfleet.rundir.lock import LOCK_FORMAT, read_holder


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def write_lock(folder: Path, pid: int, host: str | None = None, **extra: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK_NAME).write_text(
        json.dumps(
            {
                "format": LOCK_FORMAT,
                "pid": pid,
                "host": host or socket.gethostname(),
                "started": "2024-01-01T00:00:00",
                **extra,
            }
        )
    )


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    first = RunLock(tmp_path / "run")
    first.acquire()
    assert read_holder(first.path).pid == os.getpid()
    with pytest.raises(
        CheckpointError, match=f"another ganfleet process is writing this run \\(pid {os.getpid()} on host"
    ):
        RunLock(tmp_path / "run").acquire()
    with pytest.raises(CheckpointError, match="another ganfleet process"):
        RunLock(tmp_path / "run").check()
    first.release()
    assert not first.path.exists()
    RunLock(tmp_path / "run").check()


def test_a_dead_holder_is_taken_over_with_a_warning(tmp_path: Path) -> None:
    pid = dead_pid()
    write_lock(tmp_path, pid)
    lock = RunLock(tmp_path)
    lock.check()
    with pytest.warns(UserWarning, match=f"taking over the lock of pid {pid} on host .*, which is no longer running"):
        lock.acquire()
    assert read_holder(lock.path).pid == os.getpid()


def test_a_torn_lock_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text('{"format": "ganf')  # killed while writing it
    with pytest.warns(UserWarning, match="a torn or foreign lock file"):
        RunLock(tmp_path).acquire()


def test_a_holder_on_another_host_is_refused(tmp_path: Path) -> None:
    write_lock(tmp_path, dead_pid(), host="elsewhere")  # its pid cannot be checked from here
    with pytest.raises(CheckpointError, match="on host elsewhere"):
        RunLock(tmp_path).acquire()


def test_an_earlier_attempt_of_the_same_torchrun_job_is_taken_over(tmp_path: Path) -> None:
    write_lock(tmp_path, os.getppid(), host="elsewhere", job="job-a", attempt=0)  # alive or not: torchrun stopped it
    RunLock(tmp_path, job="job-a", attempt=1).acquire()
    write_lock(tmp_path, os.getppid(), job="job-a", attempt=1)
    with pytest.raises(CheckpointError):
        RunLock(tmp_path, job="job-b", attempt=2).acquire()  # another job


def test_only_the_holder_releases(tmp_path: Path) -> None:
    lock = RunLock(tmp_path)
    lock.acquire()
    write_lock(tmp_path, os.getppid())  # someone took it over meanwhile
    lock.release()
    assert read_holder(tmp_path / LOCK_NAME).pid == os.getppid()


def test_a_zombie_holds_no_lock() -> None:
    import os
    import time

    from ganfleet.rundir.lock import pid_alive

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    time.sleep(0.2)  # exited, not reaped: a zombie
    try:
        assert not pid_alive(pid) and pid_alive(os.getpid())
    finally:
        os.waitpid(pid, 0)
