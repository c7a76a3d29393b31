"""The `--nproc` launcher: one line and exit 2 for a failed job (not each rank's line and torchrun's report),
SIGTERM passed on to the workers, workers that stop when the launcher is killed, and a second writer refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganfleet.distributed.env import usable_cores
from ganfleet.rundir import LOCK_NAME, RunDir, list_checkpoints, read_checkpoint
from tests.faults.conftest import MEMBERS, REPO, FaultEnv, ganfleet, snapshot, subprocess_env, tiny_train_args
from tests.faults.test_kills import STEPS, assert_clean_and_equal, progress_pid, straight, wait_for  # noqa: F401 (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(usable_cores() < 2, reason="--nproc 2 needs two cores")]
LONG = ["--steps", "100000", "--checkpoint-every", "5", "--nproc", "2"]


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-3000:]
    return lines[0]


def launcher(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ganfleet", *args],
        cwd=REPO,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rank_pids(out: Path) -> list[int]:
    """The workers' pids, once both ranks train and every pair has a checkpoint."""
    records = [out / "ranks" / f"rank-{r:04d}" for r in (0, 1)]
    wait_for(
        lambda: (
            all(progress_pid(r) for r in records) and all(list_checkpoints(RunDir(out).pair_dir(m)) for m in MEMBERS)
        ),
        "both ranks to train and every pair to checkpoint",
    )
    return [progress_pid(r) for r in records]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # exited, not yet reaped


def assert_stopped_cleanly(out: Path) -> None:
    assert RunDir(out).read_manifest()["status"] == "interrupted"
    assert not (out / LOCK_NAME).exists()
    for member in MEMBERS:
        for path in list_checkpoints(RunDir(out).pair_dir(member)):
            read_checkpoint(path)


def test_a_failing_job_is_one_line(fault_env: FaultEnv, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text("{}")
    (tmp_path / "empty.npz").write_bytes(b"")
    before = snapshot(tmp_path)
    done = ganfleet(*tiny_train_args(fault_env.npz, mine, "--nproc", "2"))
    assert done.returncode == 2 and one_line(done.stderr).startswith(
        f"ganfleet: error: {mine}: not empty and not a ganfleet run"
    )
    done = ganfleet(*tiny_train_args(tmp_path / "empty.npz", tmp_path / "out", "--nproc", "2"))
    assert done.returncode == 2 and one_line(done.stderr).startswith(
        f"ganfleet: error: {tmp_path / 'empty.npz'}: not a readable"
    )
    assert snapshot(tmp_path) == before


def test_sigterm_to_the_launcher_stops_every_worker(fault_env: FaultEnv, tmp_path: Path) -> None:
    out = tmp_path / "run"
    job = launcher(tiny_train_args(fault_env.npz, out, *LONG))
    pids = rank_pids(out)
    job.send_signal(signal.SIGTERM)
    _, stderr = job.communicate(timeout=180)
    assert job.returncode == 143 and one_line(stderr).startswith("ganfleet: interrupted: stopped by SIGTERM at step")
    assert all(gone(pid) for pid in pids)
    assert_stopped_cleanly(out)


def test_a_killed_launcher_stops_its_workers_and_a_second_writer_is_refused(
    fault_env: FaultEnv, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    job = launcher(tiny_train_args(fault_env.npz, out, *LONG))
    try:
        pids = rank_pids(out)
        second = ganfleet(
            *tiny_train_args(fault_env.npz, out, "--steps", "100000", "--checkpoint-every", "5", "--resume")
        )
        holder = json.loads((out / LOCK_NAME).read_text())
        assert second.returncode == 2 and one_line(second.stderr).startswith(
            f"ganfleet: error: {out}: another ganfleet process is writing this run (pid {holder['pid']} on host"
        )
        assert holder["pid"] == pids[0]  # rank 0 holds it for the job
        job.kill()  # SIGKILL: no chance to pass anything on
        job.communicate(timeout=60)
        deadline = time.monotonic() + 120
        while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(gone(pid) for pid in pids), "the workers trained on without their launcher"
    finally:
        for pid in progress_pid(out / "ranks" / "rank-0000"), progress_pid(out / "ranks" / "rank-0001"):
            if pid and not gone(pid):
                os.kill(pid, signal.SIGKILL)
    assert_stopped_cleanly(out)


def test_a_worker_killed_without_a_word_is_named(fault_env: FaultEnv, tmp_path: Path) -> None:
    out = tmp_path / "run"
    job = launcher(tiny_train_args(fault_env.npz, out, *LONG))
    pids = rank_pids(out)
    os.kill(pids[1], signal.SIGKILL)
    _, stderr = job.communicate(timeout=180)
    assert job.returncode == 2 and one_line(stderr) == f"ganfleet: error: rank 1 (pid {pids[1]}) was killed by SIGKILL"
    # rank 0 stops on the lost contact (failed) or on torchrun's SIGTERM to the group (interrupted): either way
    assert RunDir(out).read_manifest()["status"] in ("failed", "interrupted") and not (out / LOCK_NAME).exists()


def test_a_killed_worker_under_max_restarts_is_restarted_and_the_run_equals_an_uninterrupted_one(
    fault_env: FaultEnv,
    straight: Path,  # noqa: F811 (the fixture imported from test_kills)
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    job = launcher(tiny_train_args(fault_env.npz, out, *STEPS, "--nproc", "2", "--max-restarts", "2"))
    pids = rank_pids(out)
    try:
        os.kill(pids[1], signal.SIGKILL)
    except ProcessLookupError:
        job.communicate(timeout=300)
        pytest.skip("rank 1 finished before it could be killed (an unusually fast machine)")
    _, stderr = job.communicate(timeout=300)
    assert job.returncode == 0, stderr[-3000:]
    manifest = RunDir(out).read_manifest()
    assert manifest["status"] == "complete" and manifest["launch"]["restart_count"] == 1
    assert_clean_and_equal(out, straight)
