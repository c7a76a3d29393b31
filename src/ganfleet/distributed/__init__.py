"""Training on several processes with torch.distributed: one job, one run directory, pairs spread over ranks.

    env.py        who launched us: torchrun, Open MPI, MPICH/Intel MPI (PMI) or Slurm; rank, world, rendezvous
    assign.py     which rank trains which pairs (longest-processing-time first by step budget)
    cluster.py    the process group and the few collectives the training loop needs (assign, agree, on_writer, gather)
    heartbeat.py  control rounds while training: failure, stop and completion reach every rank
    telemetry.py  per-rank time by category, idle share, img/s, peak memory, progress; telemetry.json
    launch.py     `ganfleet train --nproc N`: re-launch the same command under torchrun
    threads.py    torch's CPU threads per process (train.threads: auto from the free cores, OMP_NUM_THREADS or N)

Pairs never communicate, so no training tensor crosses ranks; only control
messages, sample-grid rows and telemetry do. The exception is a pair every rank
holds (SGAN's global pair): one all-reduce per iteration (`Cluster.sum_over_ranks`).
See docs/distributed.md.
"""

from ganfleet.distributed.assign import assign_classes
from ganfleet.distributed.cluster import Cluster, ProcessGroupCluster, join
from ganfleet.distributed.env import LaunchEnv, detect_launch
from ganfleet.distributed.heartbeat import RankFailed
from ganfleet.distributed.telemetry import Telemetry, format_table, summarize

__all__ = [
    "Cluster",
    "LaunchEnv",
    "ProcessGroupCluster",
    "RankFailed",
    "Telemetry",
    "assign_classes",
    "detect_launch",
    "format_table",
    "join",
    "summarize",
]
