"""Real MPI launches: `mpirun -n 2 python -m ganfleet train` (Open MPI, and MPICH's hydra where installed) trains
the same fleet as one process, bit for bit at one thread per process. `make test` installs Debian's openmpi-bin
(and mpich) when it can; without them these tests skip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ganfleet.cli import main
from ganfleet.rundir import LOCK_NAME, RunDir
from tests.distributed.test_torchrun import MEMBERS, REPO, train_args, worker_env
from tests.train.test_loop import assert_same_states

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_mpi() -> str | None:
    """Open MPI's mpirun: Debian's mpirun.openmpi, or an mpirun that says it is Open MPI."""
    for name in ("mpirun.openmpi", "mpirun"):
        path = shutil.which(name)
        if path and "Open MPI" in subprocess.run([path, "--version"], capture_output=True, text=True).stdout + "":
            return path
    return None


def mpich() -> str | None:
    """MPICH's launcher (hydra), as Debian installs it."""
    for name in ("mpiexec.mpich", "mpiexec.hydra"):
        if shutil.which(name):
            return shutil.which(name)
    return None


LAUNCHERS = {
    "openmpi": (
        open_mpi,
        lambda mpirun, port: [
            mpirun,
            "--allow-run-as-root",
            "--oversubscribe",
            "-n",
            "2",
            "-x",
            "OMP_NUM_THREADS=1",
            "-x",
            f"MASTER_PORT={port}",
            "-x",
            "PYTHONPATH",
        ],
    ),
    "pmi": (
        mpich,
        lambda mpiexec, port: [mpiexec, "-n", "2", "-genv", "OMP_NUM_THREADS", "1", "-genv", "MASTER_PORT", str(port)],
    ),
}


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_mpirun_trains_the_same_fleet_as_one_process(tiny_npz: Path, tmp_path: Path, launcher: str) -> None:
    find, command = LAUNCHERS[launcher]
    mpirun = find()
    if mpirun is None:
        pytest.skip(f"{launcher}: not installed (make test installs Debian's openmpi-bin and mpich as root)")
    assert (
        main(train_args(tiny_npz, tmp_path / "one", "--epochs", "6")) == 0
    )  # one thread (tests/distributed/conftest.py)
    out = tmp_path / "mpi"
    job = subprocess.run(
        [*command(mpirun, free_port()), sys.executable, "-m", "ganfleet", *train_args(tiny_npz, out, "--epochs", "6")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=worker_env(),
        timeout=300,
    )
    assert job.returncode == 0, (job.stdout[-2000:], job.stderr[-3000:])
    assert job.stdout.count("trained 3 pair(s) to step 8..15") == 1  # rank 0 speaks for the job
    manifest = RunDir(out).read_manifest()
    assert (manifest["status"], manifest["launch"]["launcher"], manifest["launch"]["world_size"]) == (
        "complete",
        launcher,
        2,
    )
    assert set(manifest["launch"]["ranks"].values()) == {0, 1}
    assert_same_states(tmp_path / "one", out, MEMBERS)
    assert (tmp_path / "one" / "grids" / "final.png").read_bytes() == (out / "grids" / "final.png").read_bytes()
    assert not (out / LOCK_NAME).exists()
