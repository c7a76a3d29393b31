"""Who launched this process, and where it sits in the job: rank, world size, local rank, rendezvous.

Read from the launcher's environment variables, first match wins:

    torchrun        RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR/PORT,
                    TORCHELASTIC_RESTART_COUNT, TORCHELASTIC_RUN_ID (rendezvous: env://)
    Open MPI        OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE
    MPICH/Intel MPI PMI_RANK, PMI_SIZE, MPI_LOCALRANKID, MPI_LOCALNRANKS
    Slurm srun      SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID, SLURM_STEP_NUM_NODES

Slurm is recognised only inside an srun step (SLURM_STEP_NUM_TASKS is set by
srun, not by sbatch), so a batch script that runs one process is not mistaken
for rank 0 of a job whose other ranks never start. MPI and Slurm ranks meet at
tcp://MASTER_ADDR:MASTER_PORT (default port 29500); MASTER_ADDR may be left out
only when every rank is on one node (it is then 127.0.0.1). Nothing here
touches torch.distributed: this module only reads the environment (and the cores it may use).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ganfleet.errors import ClusterError

DEFAULT_PORT = 29500


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True)
class LaunchEnv:
    """This process's place in a job. A plain `python -m ganfleet` is rank 0 of 1."""

    launcher: str  # "single", "torchrun", "openmpi", "pmi" or "slurm"
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int | None = 1  # None when the launcher does not say
    init_method: str | None = None  # how ranks meet; None for a single process
    restart_count: int = 0  # torchrun: how many times the worker group was restarted
    elastic_run_id: str | None = None  # torchrun: the rendezvous run id, same for every restart

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_restart(self) -> bool:
        """Whether a launcher restarted this job after a failure (torchrun --max-restarts)."""
        return self.restart_count > 0

    def continues(self, launch: Mapping[str, Any] | None) -> bool:
        """Whether this is a torchrun restart of the job whose launch record (a run manifest's) is `launch`.

        A restart (TORCHELASTIC_RESTART_COUNT > 0) continues only a run whose
        manifest carries this job's rendezvous id, never some older run in --out.
        """
        if self.restart_count == 0 or self.elastic_run_id is None or not launch:
            return False
        return launch.get("elastic_run_id") == self.elastic_run_id


def _int(environ: Mapping[str, str], key: str, default: int | None = None) -> int:
    raw = environ.get(key)
    if raw is None:
        if default is None:
            raise ClusterError(f"environment variable {key} is not set; the launcher should set it")
        return default
    try:
        return int(raw)
    except ValueError:
        raise ClusterError(f"environment variable {key}={raw!r}: expected an integer") from None


def _tcp(environ: Mapping[str, str], single_node: bool, launcher: str) -> str:
    addr = environ.get("MASTER_ADDR")
    if not addr:
        if not single_node:
            raise ClusterError(
                f"{launcher} launch over several nodes: set MASTER_ADDR to the host name of rank 0 "
                f"(and MASTER_PORT, default {DEFAULT_PORT}) in every rank's environment"
            )
        addr = "127.0.0.1"
    port = _int(environ, "MASTER_PORT", DEFAULT_PORT)
    return f"tcp://{addr}:{port}"


def _checked(env: LaunchEnv) -> LaunchEnv:
    if env.world_size < 1 or not 0 <= env.rank < env.world_size:
        raise ClusterError(f"{env.launcher}: rank {env.rank} does not fit world size {env.world_size}")
    if env.local_rank < 0:
        raise ClusterError(f"{env.launcher}: negative local rank {env.local_rank}")
    return env


class MpiVariables(NamedTuple):
    """The environment variables an MPI launcher sets for each process."""

    launcher: str
    label: str  # in error messages
    rank: str
    size: str
    local_rank: str
    local_size: str


MPI_LAUNCHERS = (
    MpiVariables(
        "openmpi",
        "Open MPI",
        "OMPI_COMM_WORLD_RANK",
        "OMPI_COMM_WORLD_SIZE",
        "OMPI_COMM_WORLD_LOCAL_RANK",
        "OMPI_COMM_WORLD_LOCAL_SIZE",
    ),
    MpiVariables("pmi", "MPI (PMI)", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
)


def detect_launch(environ: Mapping[str, str]) -> LaunchEnv:
    """The LaunchEnv described by `environ` (pass os.environ); ClusterError if the variables are malformed."""
    if "RANK" in environ and "WORLD_SIZE" in environ:
        world = _int(environ, "WORLD_SIZE")
        return _checked(
            LaunchEnv(
                "torchrun",
                _int(environ, "RANK"),
                world,
                _int(environ, "LOCAL_RANK", 0),
                _int(environ, "LOCAL_WORLD_SIZE", world),
                "env://",
                _int(environ, "TORCHELASTIC_RESTART_COUNT", 0),
                environ.get("TORCHELASTIC_RUN_ID"),
            )
        )
    for mpi in MPI_LAUNCHERS:
        if mpi.rank in environ:
            world = _int(environ, mpi.size)
            local_world = _int(environ, mpi.local_size, world)
            return _checked(
                LaunchEnv(
                    mpi.launcher,
                    _int(environ, mpi.rank),
                    world,
                    _int(environ, mpi.local_rank, 0),
                    local_world,
                    _tcp(environ, local_world == world, mpi.label),
                )
            )
    if "SLURM_PROCID" in environ and "SLURM_STEP_NUM_TASKS" in environ:
        world = _int(environ, "SLURM_STEP_NUM_TASKS")
        nodes = _int(environ, "SLURM_STEP_NUM_NODES", 1)
        return _checked(
            LaunchEnv(
                "slurm",
                _int(environ, "SLURM_PROCID"),
                world,
                _int(environ, "SLURM_LOCALID", 0),
                world if nodes == 1 else None,
                _tcp(environ, nodes == 1, "Slurm"),
            )
        )
    return LaunchEnv("single")
