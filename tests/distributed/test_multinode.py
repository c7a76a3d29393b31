"""Two torchrun nodes on the loopback interface: the job they make trains the same fleet as one process; and elastic
`--nnodes 1:2`, where one node is lost for good mid-run and the survivor resumes every pair and finishes the job.

Only 127.0.0.1 is used, on a port the test finds free; each test starts at most two agents and waits a bounded time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ganfleet.cli import main
from ganfleet.rundir import LOCK_NAME, RunDir, list_checkpoints
from tests.distributed.test_torchrun import MEMBERS, REPO, train_args, worker_env
from tests.train.test_loop import assert_same_states

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node(args: list[str], port: int, job: str, nnodes: str, rank: int | None, *extra: str) -> subprocess.Popen:
    """One torchrun agent (one worker) of a c10d rendezvous at 127.0.0.1:port, in a session of its own."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nnodes={nnodes}",
        "--nproc-per-node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        f"--rdzv-id={job}",
        *extra,
        *([f"--node-rank={rank}"] if rank is not None else []),
        "-m",
        "ganfleet",
        *args,
    ]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stop(jobs: list[subprocess.Popen]) -> None:
    for job in jobs:
        if job.poll() is None:
            job.terminate()
    for job in jobs:
        try:
            job.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            job.kill()


def test_two_nodes_train_the_same_fleet_as_one_process(tiny_npz: Path, tmp_path: Path) -> None:
    assert main(train_args(tiny_npz, tmp_path / "one", "--epochs", "6")) == 0
    out, port, job = tmp_path / "two", free_port(), f"ganfleet-test-{uuid.uuid4().hex[:8]}"
    args = train_args(tiny_npz, out, "--epochs", "6")
    nodes = [node(args, port, job, "2", rank) for rank in (0, 1)]
    try:
        results = [n.communicate(timeout=300) for n in nodes]
    finally:
        stop(nodes)
    assert [n.returncode for n in nodes] == [0, 0], [err[-2000:] for _, err in results]
    assert sum(out.count("trained 3 pair(s) to step 8..15") for out, _ in results) == 1  # rank 0 speaks, on one node
    manifest = RunDir(out).read_manifest()
    assert (manifest["status"], manifest["launch"]["world_size"]) == ("complete", 2)
    assert set(manifest["launch"]["ranks"].values()) == {0, 1}
    assert_same_states(tmp_path / "one", out, MEMBERS)
    assert (tmp_path / "one" / "grids" / "final.png").read_bytes() == (out / "grids" / "final.png").read_bytes()


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def workers_of(agent: subprocess.Popen, out: Path) -> list[int]:
    """The pids of `agent`'s workers, from the ranks' progress files."""
    pids = []
    for progress in out.glob("ranks/rank-*/progress.json"):
        try:
            pid = json.loads(progress.read_text())["pid"]
            if parent_of(pid) == agent.pid:
                pids.append(pid)
        except (OSError, ValueError, KeyError, IndexError):
            continue
    return pids


def test_elastic_job_survives_a_node_lost_for_good(tiny_npz: Path, tmp_path: Path) -> None:
    """`--nnodes 1:2 --max-restarts 3`: the node that does not host the rendezvous is killed (agent and worker, so it
    never comes back); the other's worker stops on the lost contact, its agent forms a new round alone, and the
    restarted worker resumes every pair (the lost node's too) from its checkpoints to the end."""
    assert main(train_args(tiny_npz, tmp_path / "one", "--steps", "60", "--checkpoint-every", "3")) == 0
    out, port, job = tmp_path / "elastic", free_port(), f"ganfleet-test-{uuid.uuid4().hex[:8]}"
    args = train_args(tiny_npz, out, "--steps", "60", "--checkpoint-every", "3")
    conf = "join_timeout=120,last_call_timeout=5,close_timeout=10,heartbeat_timeout=5,keep_alive_interval=1"
    survivor = node(args, port, job, "1:2", None, "--max-restarts=3", f"--rdzv-conf={conf},is_host=true")
    lost = node(args, port, job, "1:2", None, "--max-restarts=3", f"--rdzv-conf={conf},is_host=false")
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # both nodes train, every pair has a checkpoint, none is done yet
            started = len(list(out.glob("ranks/rank-*/progress.json"))) == 2 and workers_of(lost, out)
            steps = [list_checkpoints(RunDir(out).pair_dir(m)) for m in MEMBERS]
            if started and all(steps) and not any(p[-1].name == "step-00000060.safetensors" for p in steps):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the two nodes never both trained with a checkpoint of every pair")
        for pid in workers_of(lost, out):
            os.kill(pid, signal.SIGKILL)
        os.killpg(lost.pid, signal.SIGKILL)  # the agent and its session: the node is gone for good
        lost.communicate(timeout=60)
        _stdout, stderr = survivor.communicate(timeout=360)
    finally:
        stop([survivor, lost])
    assert survivor.returncode == 0, stderr[-3000:]
    manifest = RunDir(out).read_manifest()
    assert (
        manifest["status"] == "complete"
        and manifest["launch"]["world_size"] == 1
        and manifest["launch"]["restart_count"] >= 1
    )
    assert [m["step"] for m in manifest["members"]] == [60, 60, 60]
    starts = {
        k: v for r in json.loads(RunDir(out).telemetry_path.read_text())["ranks"] for k, v in r["start_steps"].items()
    }
    assert all(starts[m] > 0 for m in MEMBERS), starts  # every pair resumed, none started over
    assert_same_states(tmp_path / "one", out, MEMBERS)
    assert not (out / LOCK_NAME).exists()
