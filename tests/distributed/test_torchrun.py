"""Real multi-process runs (gloo, 2 ranks): same fleet as one process under torchrun and under an
Open MPI style launch, corrupt checkpoint fallback, a SIGKILLed worker under --max-restarts, a
failing rank stopping all, a stop on one rank stopping all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganfleet import Fleet
from ganfleet.cli import main
from ganfleet.rundir import LOCK_NAME, RunDir, is_temporary
from ganfleet.rundir.checkpoint import list_checkpoints, read_checkpoint
from tests.conftest import HANG_S
from tests.train.test_loop import assert_same_states

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MEMBERS = ["class-0000", "class-0001", "class-0002"]


def train_args(npz: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train",
        "--data",
        "npz",
        "--data-dir",
        str(npz),
        "--arch",
        "dcgan",
        "--width",
        "0.125",
        "--batch-size",
        "4",
        "--log-every",
        "2",
        "--grid-every",
        "0",
        "--checkpoint-every",
        "4",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def worker_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]), "OMP_NUM_THREADS": "1"}


def torchrun(args: list[str], nproc: int = 2, max_restarts: int = 0, script: Path | None = None) -> list[str]:
    entry = [str(script)] if script else ["-m", "ganfleet"]
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        f"--max-restarts={max_restarts}",
        *entry,
        *args,
    ]


def run(command: list[str], timeout: float = HANG_S) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=worker_env(), timeout=timeout)


def stop(job: subprocess.Popen) -> None:
    """End a torchrun job: SIGTERM lets the agent stop its workers (they run in sessions of their own, so
    SIGKILLing the agent alone would orphan them)."""
    if job.poll() is None:
        job.terminate()
        try:
            job.wait(timeout=60)
        except subprocess.TimeoutExpired:
            job.kill()


def leftovers(run_dir: Path) -> list[Path]:
    """Temporary files of interrupted atomic writes, and a lock left behind."""
    return [p for p in run_dir.rglob("*") if is_temporary(p.name) or p.name == LOCK_NAME]


def open_mpi_launch(args: list[str], ranks: int = 2) -> list[subprocess.CompletedProcess]:
    """Start `ganfleet <args>` as the ranks of an Open MPI job, with the variables mpirun would set (no MPI here)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jobs = [
        subprocess.Popen(
            [sys.executable, "-m", "ganfleet", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **worker_env(),
                "OMPI_COMM_WORLD_RANK": str(r),
                "OMPI_COMM_WORLD_SIZE": str(ranks),
                "OMPI_COMM_WORLD_LOCAL_RANK": str(r),
                "OMPI_COMM_WORLD_LOCAL_SIZE": str(ranks),
                "MASTER_PORT": str(port),
            },
        )
        for r in range(ranks)
    ]
    outputs = [job.communicate(timeout=HANG_S) for job in jobs]
    return [subprocess.CompletedProcess(job.args, job.returncode, out, err) for job, (out, err) in zip(jobs, outputs)]


def test_two_ranks_train_the_same_fleet_as_one_process_and_resume_past_a_corrupt_checkpoint(
    tiny_npz: Path, tmp_path: Path
) -> None:
    # epochs 6 of batch 4: class budgets 15, 11, 8 steps; LPT puts class 0 on rank 0, classes 1 and 2 on rank 1
    assert main(train_args(tiny_npz, tmp_path / "one", "--epochs", "6")) == 0
    two = run(
        [sys.executable, "-m", "ganfleet", *train_args(tiny_npz, tmp_path / "two", "--epochs", "6", "--nproc", "2")]
    )
    assert two.returncode == 0, two.stderr[-3000:]
    assert "trained 3 pair(s) to step 8..15" in two.stdout and two.stdout.count("trained") == 1  # rank 0 speaks
    assert "| rank | pairs |" in two.stdout and "2 rank(s):" in two.stdout

    one_run, two_run = RunDir(tmp_path / "one"), RunDir(tmp_path / "two")
    assert_same_states(one_run.path, two_run.path, MEMBERS)
    assert (one_run.grids_dir / "final.png").read_bytes() == (two_run.grids_dir / "final.png").read_bytes()
    m1, m2 = one_run.read_manifest(), two_run.read_manifest()
    apart = ("launch", "updated", "execution", "config_sha256")  # the configs differ in out and the launch
    assert {k: v for k, v in m1.items() if k not in apart} == {k: v for k, v in m2.items() if k not in apart}
    assert m2["status"] == "complete" and (
        m2["launch"]["launcher"],
        m2["launch"]["world_size"],
        m2["launch"]["backend"],
    ) == ("torchrun", 2, "gloo")
    assert m2["launch"]["ranks"] == {"class-0000": 0, "class-0001": 1, "class-0002": 1}
    assert Fleet.load(two_run.path).sample(6, labels=[0, 1, 2, 0, 1, 2], seed=0).shape == (6, 1, 32, 32)

    telemetry = json.loads(two_run.telemetry_path.read_text())
    r0, r1 = telemetry["ranks"]
    assert (r0["end_steps"], r1["end_steps"]) == ({"class-0000": 15}, {"class-0001": 11, "class-0002": 8})
    assert (r0["images"], r1["images"]) == (15 * 4, 19 * 4)
    for r in (r0, r1):
        assert 0.0 <= r["idle_share"] < 1.0 and sum(r["seconds"].values()) <= r["wall_s"] + 1e-3
        assert (
            r["pid"]
            == json.loads((two_run.path / "ranks" / f"rank-{r['rank']:04d}" / "progress.json").read_text())["pid"]
        )
    rank1_pairs = {
        name
        for line in (two_run.path / "ranks/rank-0001/metrics.jsonl").read_text().splitlines()
        for name in json.loads(line)["pairs"]
    }
    assert rank1_pairs == {"class-0001", "class-0002"}

    # The newest checkpoint of a rank-1 pair is truncated; the run goes on, now as an Open MPI job (ranks meet
    # over tcp://, rank 0 hosting the store): that pair falls back to step 8, the others resume where they ended.
    newest = list_checkpoints(two_run.pair_dir("class-0001"))[-1]
    assert newest.name == "step-00000011.safetensors"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    resumed = open_mpi_launch(train_args(tiny_npz, tmp_path / "two", "--epochs", "9", "--resume"))
    assert [r.returncode for r in resumed] == [0, 0], [r.stderr[-2000:] for r in resumed]
    assert "trained 3 pair(s) to step 12..23" in resumed[0].stdout and resumed[1].stdout == ""
    assert "skipping checkpoint" in resumed[1].stderr and "step-00000011.safetensors" in resumed[1].stderr
    assert two_run.read_manifest()["launch"]["launcher"] == "openmpi"
    starts = {
        k: v for r in json.loads(two_run.telemetry_path.read_text())["ranks"] for k, v in r["start_steps"].items()
    }
    assert starts == {"class-0000": 15, "class-0001": 8, "class-0002": 8}
    assert main(train_args(tiny_npz, tmp_path / "one9", "--epochs", "9")) == 0
    assert_same_states(tmp_path / "one9", two_run.path, MEMBERS)


def test_a_killed_worker_is_restarted_and_every_pair_resumes(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    steps = ["--steps", "50", "--checkpoint-every", "5"]
    job = subprocess.Popen(
        torchrun(train_args(tiny_npz, out, *steps), max_restarts=2),
        cwd=REPO,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        rundir, seen = RunDir(out), {}
        deadline = time.monotonic() + HANG_S
        while time.monotonic() < deadline:  # wait until every pair has a checkpoint and rank 1's pair is unfinished
            seen = {m: list_checkpoints(rundir.pair_dir(m)) for m in MEMBERS}
            progress = out / "ranks" / "rank-0001" / "progress.json"
            if (
                all(seen.values())
                and progress.is_file()
                and not (rundir.pair_dir("class-0001") / "step-00000050.safetensors").exists()
            ):
                os.kill(json.loads(progress.read_text())["pid"], signal.SIGKILL)
                break
            time.sleep(0.01)
        else:
            pytest.fail("never saw a checkpoint of every pair before rank 1 finished")
        _stdout, stderr = job.communicate(timeout=HANG_S)
    finally:
        stop(job)
    assert job.returncode == 0, stderr[-3000:]
    killed_at = {m: int(paths[-1].stem.split("-")[1]) for m, paths in seen.items()}

    manifest = rundir.read_manifest()
    assert manifest["status"] == "complete" and manifest["launch"]["restart_count"] == 1
    assert [m["step"] for m in manifest["members"]] == [50, 50, 50]
    telemetry = json.loads(rundir.telemetry_path.read_text())
    starts = {k: v for r in telemetry["ranks"] for k, v in r["start_steps"].items()}
    assert all(starts[m] >= killed_at[m] > 0 for m in MEMBERS), (starts, killed_at)  # nobody restarted from zero
    assert all(r["restart_count"] == 1 for r in telemetry["ranks"])
    assert not leftovers(out)
    assert Fleet.load(out).steps == dict.fromkeys(MEMBERS, 50)
    assert main(train_args(tiny_npz, tmp_path / "straight", *steps)) == 0
    assert_same_states(tmp_path / "straight", out, MEMBERS)


def test_a_failing_rank_stops_every_rank_and_leaves_nothing_half_written(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    job = run(
        torchrun(
            train_args(tiny_npz, out, "--steps", "2000", "--checkpoint-every", "5"),
            script=REPO / "tests" / "distributed" / "failing_worker.py",
        )
    )
    assert job.returncode != 0
    assert "ganfleet: error: corrupt image in batch 3" in job.stderr  # rank 1, its own error
    assert "ganfleet: error: rank 1 failed: DataError: corrupt image in batch 3" in job.stderr  # rank 0, told by rank 1
    rundir = RunDir(out)
    assert rundir.read_manifest()["status"] == "failed"
    assert not (rundir.grids_dir / "final.png").exists() and not rundir.telemetry_path.exists()
    assert not leftovers(out)
    for member in MEMBERS:
        for path in list_checkpoints(rundir.pair_dir(member)):
            read_checkpoint(path)  # every checkpoint that exists is whole
    # rank 0 stopped long before its budget and kept its pairs' progress
    assert all(
        0 < int(list_checkpoints(rundir.pair_dir(m))[-1].stem.split("-")[1]) < 2000
        for m in ("class-0000", "class-0002")
    )


def sigterm_rank_one(args: list[str], out: Path, member: str) -> str:
    """Start a 2-rank job, SIGTERM rank 1 (not torchrun) once `member` has a checkpoint; the job's stderr."""
    job = subprocess.Popen(
        torchrun(args), cwd=REPO, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        progress = out / "ranks" / "rank-0001" / "progress.json"
        deadline = time.monotonic() + HANG_S
        while (
            not (progress.is_file() and list_checkpoints(RunDir(out).pair_dir(member))) and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        os.kill(json.loads(progress.read_text())["pid"], signal.SIGTERM)
        return job.communicate(timeout=HANG_S)[1]
    finally:
        stop(job)


def test_a_stop_on_one_rank_stops_both_with_every_pair_checkpointed(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    stderr = sigterm_rank_one(
        train_args(tiny_npz, out, "--steps", "2000", "--checkpoint-every", "5"), out, "class-0001"
    )
    assert "ganfleet: interrupted: stopped by SIGTERM" in stderr  # rank 1
    assert "ganfleet: interrupted: stopped by another rank" in stderr  # rank 0, told by the heartbeat
    rundir = RunDir(out)
    assert rundir.read_manifest()["status"] == "interrupted"
    newest = {m: int(list_checkpoints(rundir.pair_dir(m))[-1].stem.split("-")[1]) for m in MEMBERS}
    assert all(0 < step < 2000 for step in newest.values())
    assert (
        newest["class-0000"] == newest["class-0002"]
    )  # rank 0 steps its two pairs together and saved both at the stop
    assert not leftovers(out)


@pytest.mark.parametrize("kind", [(), ("--conditional-warm-start",)], ids=["unconditional", "conditional"])
def test_two_ranks_fork_from_a_warm_start_like_one_process(tiny_npz: Path, tmp_path: Path, kind: tuple) -> None:
    """Rank 0 trains the shared pair; every rank's class pairs start from its checkpoint; the fleet equals a
    one-process run's, bit for bit at one thread per process."""
    warm = ("--steps", "4", "--shared-kimg", "0.032", *kind)  # batch 4: 8 shared steps, then 4 per class pair
    assert main(train_args(tiny_npz, tmp_path / "one", *warm)) == 0
    two = run([sys.executable, "-m", "ganfleet", *train_args(tiny_npz, tmp_path / "two", *warm, "--nproc", "2")])
    assert two.returncode == 0, two.stderr[-3000:]
    assert_same_states(tmp_path / "one", tmp_path / "two", ["shared", *MEMBERS])
    launch = RunDir(tmp_path / "two").read_manifest()["launch"]
    assert launch["ranks"]["shared"] == 0 and set(launch["ranks"]) == {"shared", *MEMBERS}


def test_two_ranks_share_out_an_adaptive_budget_like_one_process(tmp_path: Path) -> None:
    """Each rank scores its own class pairs; rank 0 shares out the rest from every rank's scores; both ranks set
    the same budgets, so the fleet and its allocation equal a one-process run's (one thread per process)."""
    args = [
        "train",
        "--data",
        "digits",
        "--set",
        "data.classes=[0,1,2]",
        "--set",
        "data.max_per_class=16",
        "--width",
        "0.125",
        "--batch-size",
        "4",
        "--steps",
        "8",
        "--set",
        "budget.allocate=adaptive",
        "--set",
        "eval.n=60",
        "--pack",
        "off",
        "--threads",
        "1",
        "--grid-every",
        "0",
        "--quiet",
    ]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    two = run([sys.executable, "-m", "ganfleet", *args, "--out", str(tmp_path / "two"), "--nproc", "2"])
    assert two.returncode == 0, two.stderr[-3000:]
    one, both = RunDir(tmp_path / "one").read_manifest(), RunDir(tmp_path / "two").read_manifest()
    assert both["allocation"] == one["allocation"] and set(both["launch"]["ranks"].values()) == {0, 1}
    assert sum(one["allocation"]["steps"].values()) == 3 * 8
    assert_same_states(tmp_path / "one", tmp_path / "two", MEMBERS)
