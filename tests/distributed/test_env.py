"""Launcher detection from environment variables: torchrun, Open MPI, PMI, Slurm, and their mistakes."""

from __future__ import annotations

import pytest

from ganfleet.distributed.env import LaunchEnv, detect_launch
from ganfleet.errors import ClusterError

TORCHRUN = {
    "RANK": "3",
    "WORLD_SIZE": "4",
    "LOCAL_RANK": "1",
    "LOCAL_WORLD_SIZE": "2",
    "MASTER_ADDR": "node0",
    "MASTER_PORT": "29400",
    "TORCHELASTIC_RESTART_COUNT": "2",
    "TORCHELASTIC_RUN_ID": "job7",
}


def test_plain_process_is_rank_0_of_1() -> None:
    env = detect_launch({"PATH": "/bin"})
    assert env == LaunchEnv("single") and not env.is_distributed


def test_torchrun() -> None:
    env = detect_launch(TORCHRUN)
    assert (env.launcher, env.rank, env.world_size, env.local_rank, env.local_world_size) == ("torchrun", 3, 4, 1, 2)
    assert (env.init_method, env.restart_count, env.elastic_run_id) == ("env://", 2, "job7")


def test_torchrun_with_one_process_is_not_distributed_but_keeps_its_restart_count() -> None:
    env = detect_launch({"RANK": "0", "WORLD_SIZE": "1", "TORCHELASTIC_RESTART_COUNT": "1", "TORCHELASTIC_RUN_ID": "r"})
    assert not env.is_distributed and (env.restart_count, env.elastic_run_id) == (1, "r")


def test_torchrun_wins_over_slurm_in_an_sbatch_script() -> None:
    env = detect_launch({**TORCHRUN, "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "8"})
    assert env.launcher == "torchrun"


def test_open_mpi_on_one_node_meets_on_localhost() -> None:
    env = detect_launch(
        {
            "OMPI_COMM_WORLD_RANK": "2",
            "OMPI_COMM_WORLD_SIZE": "4",
            "OMPI_COMM_WORLD_LOCAL_RANK": "2",
            "OMPI_COMM_WORLD_LOCAL_SIZE": "4",
        }
    )
    assert (env.launcher, env.rank, env.world_size, env.local_rank) == ("openmpi", 2, 4, 2)
    assert env.init_method == "tcp://127.0.0.1:29500"


def test_open_mpi_over_nodes_needs_master_addr() -> None:
    ompi = {"OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}
    with pytest.raises(ClusterError, match="set MASTER_ADDR to the host name of rank 0"):
        detect_launch(ompi)
    env = detect_launch({**ompi, "MASTER_ADDR": "node0", "MASTER_PORT": "1234"})
    assert env.init_method == "tcp://node0:1234"


def test_mpich_and_intel_mpi_through_pmi() -> None:
    env = detect_launch({"PMI_RANK": "1", "PMI_SIZE": "2", "MPI_LOCALRANKID": "1", "MPI_LOCALNRANKS": "2"})
    assert (env.launcher, env.rank, env.world_size, env.local_rank, env.init_method) == (
        "pmi",
        1,
        2,
        1,
        "tcp://127.0.0.1:29500",
    )


def test_slurm_srun_step() -> None:
    env = detect_launch(
        {
            "SLURM_PROCID": "5",
            "SLURM_STEP_NUM_TASKS": "8",
            "SLURM_LOCALID": "1",
            "SLURM_STEP_NUM_NODES": "4",
            "MASTER_ADDR": "n01",
        }
    )
    assert (env.launcher, env.rank, env.world_size, env.local_rank, env.local_world_size) == ("slurm", 5, 8, 1, None)
    assert env.init_method == "tcp://n01:29500"


def test_sbatch_script_without_srun_is_a_single_process() -> None:
    # sbatch sets SLURM_PROCID and SLURM_NTASKS for the batch script, but only srun starts the other ranks
    assert detect_launch({"SLURM_PROCID": "0", "SLURM_NTASKS": "8", "SLURM_JOB_ID": "1"}).launcher == "single"


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"RANK": "x", "WORLD_SIZE": "2"}, "RANK='x': expected an integer"),
        ({"RANK": "2", "WORLD_SIZE": "2"}, "rank 2 does not fit world size 2"),
        ({"OMPI_COMM_WORLD_RANK": "0"}, "OMPI_COMM_WORLD_SIZE is not set"),
        ({"PMI_RANK": "0", "PMI_SIZE": "1", "MASTER_PORT": "http"}, "MASTER_PORT='http'"),
    ],
)
def test_malformed_variables_are_named(environ: dict, message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        detect_launch(environ)
