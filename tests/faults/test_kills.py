"""Kills: random SIGKILLs, a SIGKILL in the middle of a checkpoint write, a run moved from 2 ranks to 1 and from 1 to
2. Every time the resumed run ends bitwise equal (weights and Adam states) to one never interrupted, at one thread
per process, and leaves no temporary file or lock behind. `pytest --stress` runs many more of them."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ganfleet.rundir import LOCK_NAME, RunDir, is_temporary, list_checkpoints, read_checkpoint
from tests.faults.conftest import MEMBERS, REPO, FaultEnv, subprocess_env, tiny_train_args
from tests.train.test_loop import assert_same_states

pytestmark = pytest.mark.slow
STEPS = ["--steps", "30", "--checkpoint-every", "3"]


def start(args: list[str], script: Path | None = None, **env: str) -> subprocess.Popen:
    entry = [str(script)] if script else ["-m", "ganfleet"]
    return subprocess.Popen(
        [sys.executable, *entry, *args],
        cwd=REPO,
        env=subprocess_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def torchrun(args: list[str], nproc: int = 2) -> list[str]:
    return ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", "-m", "ganfleet", *args]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def progress_pid(records: Path) -> int | None:
    """The pid in a records folder's progress.json (written when a process's loop starts), if any."""
    try:
        return json.loads((records / "progress.json").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def training_or_ended(job: subprocess.Popen, records: Path) -> Callable[[], bool]:
    """Whether `job` has started its training loop (its pid in `records`' progress.json), or has ended."""
    return lambda: progress_pid(records) == job.pid or job.poll() is not None


def finish(job: subprocess.Popen, timeout: float = 240) -> subprocess.CompletedProcess:
    out, err = job.communicate(timeout=timeout)
    return subprocess.CompletedProcess(job.args, job.returncode, out, err)


def assert_clean_and_equal(run: Path, straight: Path) -> None:
    """The run is complete, holds no temporary or lock, every checkpoint is whole and the states equal `straight`'s."""
    assert RunDir(run).read_manifest()["status"] == "complete"
    assert not [p for p in run.rglob("*") if is_temporary(p.name) or p.name == LOCK_NAME]
    for member in MEMBERS:
        for path in list_checkpoints(RunDir(run).pair_dir(member)):
            read_checkpoint(path)
    assert_same_states(straight, run, MEMBERS)


@pytest.fixture(scope="module")
def straight(fault_env: FaultEnv, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The uninterrupted run every killed one must equal (one thread, in a process of its own)."""
    out = tmp_path_factory.mktemp("straight") / "run"
    done = finish(start(tiny_train_args(fault_env.npz, out, *STEPS)))
    assert done.returncode == 0, done.stderr
    return out


def test_random_sigkills_then_resume(fault_env: FaultEnv, straight: Path, tmp_path: Path, kill_seed: int) -> None:
    rng, out, stale = random.Random(kill_seed), tmp_path / "run", False
    job = start(tiny_train_args(fault_env.npz, out, *STEPS))
    for _ in range(2):
        wait_for(training_or_ended(job, out), "the process to start training")
        time.sleep(rng.uniform(0.0, 2.0))
        if job.poll() is not None:
            break
        job.kill()
        job.wait()
        stale = (out / LOCK_NAME).exists()  # killed while it held the lock (not in the instant after releasing it)
        job = start(tiny_train_args(fault_env.npz, out, *STEPS, "--resume"))
    done = finish(job)
    assert done.returncode == 0, done.stderr
    if stale:
        assert "taking over the lock of pid" in done.stderr  # the last killed process's lock, stale
    assert_clean_and_equal(out, straight)


def test_sigkill_during_a_checkpoint_write(
    fault_env: FaultEnv, straight: Path, tmp_path: Path, write_kill: tuple[str, int]
) -> None:
    how, nth = write_kill
    out = tmp_path / "run"
    killed = finish(
        start(
            tiny_train_args(fault_env.npz, out, *STEPS),
            REPO / "tests" / "faults" / "kill_mid_write.py",
            GANFLEET_KILL_AT=str(nth),
            GANFLEET_KILL_HOW=how,
        )
    )
    assert killed.returncode == -signal.SIGKILL
    assert [p for p in out.rglob("*") if is_temporary(p.name)], "the write in progress left its temporary"
    for member in MEMBERS:
        for path in list_checkpoints(RunDir(out).pair_dir(member)):
            read_checkpoint(path)  # what has a checkpoint's name is whole
    done = finish(start(tiny_train_args(fault_env.npz, out, *STEPS, "--resume")))
    assert done.returncode == 0, done.stderr
    assert_clean_and_equal(out, straight)


def kill_workers(job: subprocess.Popen, out: Path, ranks: int) -> None:
    """SIGKILL every worker of a running job (their pids from their progress files), then the job itself."""
    records = [out / "ranks" / f"rank-{r:04d}" for r in range(ranks)] if ranks > 1 else [out]
    wait_for(
        lambda: (
            all(progress_pid(r) for r in records) and all(list_checkpoints(RunDir(out).pair_dir(m)) for m in MEMBERS)
        ),
        "every rank to train and every pair to checkpoint",
    )
    for r in records:
        with contextlib.suppress(ProcessLookupError):
            os.kill(progress_pid(r), signal.SIGKILL)
    job.kill()
    job.communicate(timeout=120)


@pytest.mark.parametrize(("first", "then"), [(2, 1), (1, 2)], ids=["2-ranks-then-1", "1-rank-then-2"])
def test_a_killed_run_resumes_on_another_number_of_ranks(
    fault_env: FaultEnv, straight: Path, tmp_path: Path, first: int, then: int
) -> None:
    out = tmp_path / "run"
    steps = ["--steps", "30", "--checkpoint-every", "3"]

    def command(ranks: int, *extra: str) -> list[str]:
        args = tiny_train_args(fault_env.npz, out, *steps, *extra)
        return torchrun(args, ranks) if ranks > 1 else ["-m", "ganfleet", *args]

    job = subprocess.Popen(
        [sys.executable, *command(first)],
        cwd=REPO,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    kill_workers(job, out, first)
    if RunDir(out).read_manifest()["status"] == "complete":
        pytest.skip("the run finished before it could be killed (an unusually fast machine)")
    done = subprocess.run(
        [sys.executable, *command(then, "--resume")],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert_clean_and_equal(out, straight)
