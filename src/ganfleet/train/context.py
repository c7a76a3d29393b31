"""One rank's view of a training run: its config, its processes, its folder and lock, what it measures.

`RunContext` replaces the arguments that `train` used to pass down level by level. The `Cluster` in it only
talks between ranks; the run's telemetry, the thread choice, this rank's records folder and the launch
record are the run's own and live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ganfleet.config import RunConfig
from ganfleet.distributed import Cluster, Telemetry
from ganfleet.distributed.cluster import Assignment
from ganfleet.distributed.threads import ThreadChoice
from ganfleet.rundir import RunDir, RunLock


@dataclass
class RunContext:
    """A run as one rank sees it (a single process is rank 0 of 1)."""

    config: RunConfig
    cluster: Cluster
    run: RunDir
    lock: RunLock  # rank 0 takes it for the job
    telemetry: Telemetry
    threads: ThreadChoice  # this process's torch threads, and why
    progress: bool  # show the bar or the plain tick lines (rank 0 only)

    @classmethod
    def open(cls, config: RunConfig, cluster: Cluster, threads: ThreadChoice, progress: bool) -> RunContext:
        env = cluster.env
        telemetry = Telemetry(env.rank, env.world_size, cluster.device, env.restart_count)
        cluster.waiting = partial(telemetry.timed, "wait")  # time blocked in collectives is this rank's idle time
        run = RunDir(config.out)
        lock = RunLock(run.path, env.elastic_run_id, env.restart_count)
        return cls(config, cluster, run, lock, telemetry, threads, progress and cluster.is_writer)

    @property
    def records(self) -> Path:
        """Where this rank's own records go (metrics.jsonl, periodic grids, progress.json): the run folder for a
        single process, `ranks/rank-NNNN/` in it for each rank of a multi-process job."""
        if self.cluster.world_size == 1:
            return self.run.path
        return self.run.path / "ranks" / f"rank-{self.cluster.rank:04d}"

    def launch_record(self, assignment: Assignment) -> dict[str, Any]:
        """How the run was launched and which rank holds which member, for the manifest."""
        env = self.cluster.env
        return {
            "launcher": env.launcher,
            "world_size": env.world_size,
            "backend": self.cluster.backend,
            "elastic_run_id": env.elastic_run_id,
            "restart_count": env.restart_count,
            "ranks": dict(sorted(assignment.ranks.items())),
            "replicated": list(assignment.replicated),  # held by every rank, checkpointed by rank 0
        }

    def execution_record(self, pack_line: str) -> dict[str, Any]:
        """How this session steps its pairs and with how many threads (rank 0's), for the manifest."""
        return {"pack": pack_line, "threads": self.threads.threads, "threads_reason": self.threads.reason}
