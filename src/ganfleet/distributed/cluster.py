"""The processes of one training job, as the training loop sees them.

`join(device)` gives a `Cluster`: for a plain single process it is the trivial
one (rank 0 of 1: every pair, every file, no torch.distributed at all); under
torchrun, MPI or Slurm with more than one rank it is a `ProcessGroupCluster`
on a process group (gloo on CPU, NCCL on GPU with one GPU per local rank) and
takes it down again at the end. The loop calls the same methods either way:

    assign(names, loads, fingerprint, replicated)  which rank trains which member (LPT over ranks,
                           `assign.py`; the replicated ones on every rank), same data checked
    agree(fn)              run fn on every rank; a failure on any rank is raised on all
    on_writer(fn)          run fn on rank 0 only (shared files), outcome shared with all
    gather(value)          every rank's value, on rank 0
    heartbeat(lockstep)    control rounds while training (`heartbeat.py`)
    sum_over_ranks(t)      the one training collective: a replicated pair's all-reduce (SGAN's global pair)

Collectives of this control plane always run on a gloo group (CPU tensors),
so they never touch the GPU streams that training uses; `sum_over_ranks` runs
on a group of its own (NCCL on GPU), so training and control rounds never
interleave on one group.

A Cluster only talks between ranks. What a run measures (telemetry), how many
threads it uses and how it was launched belong to the run (`ganfleet.train`);
the time a rank spends blocked in a collective is charged to whatever
`Cluster.waiting` says (the run's telemetry sets it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from ganfleet.distributed.assign import assign_classes
from ganfleet.distributed.env import LaunchEnv, detect_launch
from ganfleet.distributed.heartbeat import Heartbeat, RankFailed, describe
from ganfleet.errors import ClusterError

T = TypeVar("T")
# Longest any collective may block. Control rounds complete within a heartbeat
# interval plus one iteration, so this only bounds a rank that hangs.
COLLECTIVE_TIMEOUT = timedelta(minutes=30)


class SoloHeartbeat:
    """The heartbeat of a single process: nobody to tell."""

    stop_requested = False

    def __enter__(self) -> SoloHeartbeat:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def should_stop(self, requested_here: bool) -> bool:
        return requested_here

    def poll(self) -> None:
        pass

    def finish(self, stopping: Callable[[], bool], unfinished: bool) -> bool:
        return stopping() and unfinished


@dataclass(frozen=True)
class Assignment:
    """Which rank trains which member: `ranks` for those spread over ranks, `replicated` held by every rank."""

    ranks: dict[str, int]
    replicated: tuple[str, ...]

    def members_of(self, rank: int, names: Sequence[str]) -> list[str]:
        """The members among `names` that `rank` holds, in `names` order."""
        return [n for n in names if n in self.replicated or self.ranks[n] == rank]

    @staticmethod
    def merged(assignments: Sequence[Assignment]) -> Assignment:
        """Several assignments (one per training phase) as one."""
        ranks = {name: rank for a in assignments for name, rank in a.ranks.items()}
        return Assignment(ranks, tuple(n for a in assignments for n in a.replicated))


class Cluster:
    """A single process: rank 0 of 1. It trains every pair and writes every file."""

    def __init__(self, env: LaunchEnv, device: torch.device) -> None:
        self.env = env
        self.device = device
        self.waiting: Callable[[], AbstractContextManager[None]] = nullcontext  # charged with blocked time

    @property
    def rank(self) -> int:
        return self.env.rank

    @property
    def world_size(self) -> int:
        return self.env.world_size

    @property
    def is_writer(self) -> bool:
        """Rank 0 writes the files every rank shares: config, manifest, final grid, telemetry."""
        return self.rank == 0

    @property
    def backend(self) -> str | None:
        """The process group's backend (None for a single process)."""
        return None

    def assign(
        self, names: Sequence[str], loads: Mapping[str, float], fingerprint: str, replicated: Sequence[str] = ()
    ) -> Assignment:
        """The `replicated` members on every rank and the others spread longest-processing-time first over
        ranks by `loads` (step budgets).

        `fingerprint` identifies the data this rank loaded; all ranks must agree on it.
        """
        spread = [n for n in names if n not in replicated]
        shares = assign_classes([loads[n] for n in spread], self.world_size)
        ranks = {spread[i]: rank for rank, share in enumerate(shares) for i in share}
        return Assignment(ranks, tuple(n for n in names if n in replicated))

    def agree(self, fn: Callable[[], T]) -> T:
        return fn()

    def on_writer(self, fn: Callable[[], T]) -> T:
        return fn()

    def gather(self, value: T) -> list[T] | None:
        return [value]

    def heartbeat(self, lockstep: bool = False) -> SoloHeartbeat | Heartbeat:
        return SoloHeartbeat()

    def sum_over_ranks(self, tensor: torch.Tensor) -> None:
        """Sum `tensor` over the ranks, in place: over one rank it is already the sum."""


class ProcessGroupCluster(Cluster):
    """One rank of a multi-process job on an initialised process group."""

    def __init__(
        self,
        env: LaunchEnv,
        device: torch.device,
        control: dist.ProcessGroup | None,
        training: dist.ProcessGroup | None,
    ) -> None:
        super().__init__(env, device)
        self.control = control  # None: the default group, which is gloo already
        self.training = training  # None: the default group, which is then not the control group

    def _collective(self, call: Callable[[], T]) -> T:
        with self.waiting():
            try:
                return call()
            except RuntimeError as exc:
                raise RankFailed(f"lost contact with another rank ({str(exc).splitlines()[0]})") from None

    def _exchange(self, fn: Callable[[], T], share_value: bool) -> tuple[T, list[Any]]:
        """Run fn here, then tell every rank how it went on every rank; returns fn's
        value here and every rank's value (None unless `share_value`).

        If fn raised anywhere, every rank raises: the failing rank its own
        exception, the others RankFailed naming the rank and its error.
        """
        error: Exception | None = None
        value: T | None = None
        try:
            value = fn()
        except Exception as exc:
            error = exc
        outcomes: list[Any] = [None] * self.world_size
        mine = (describe(error) if error else None, value if share_value else None)
        self._collective(lambda: dist.all_gather_object(outcomes, mine, group=self.control))
        if error is not None:
            raise error
        failures = [f"rank {r} failed: {message}" for r, (message, _) in enumerate(outcomes) if message is not None]
        if failures:
            raise RankFailed("; ".join(failures))
        return value, [v for _, v in outcomes]  # type: ignore[return-value]

    def agree(self, fn: Callable[[], T]) -> T:
        """fn's value on this rank, once every rank has run fn without error."""
        return self._exchange(fn, share_value=False)[0]

    def on_writer(self, fn: Callable[[], T]) -> T:
        """fn's value on rank 0, run there only, given to every rank."""
        return self._exchange(lambda: fn() if self.is_writer else None, share_value=True)[1][0]

    def assign(
        self, names: Sequence[str], loads: Mapping[str, float], fingerprint: str, replicated: Sequence[str] = ()
    ) -> Assignment:
        fingerprints: list[Any] = [None] * self.world_size
        self._collective(lambda: dist.all_gather_object(fingerprints, fingerprint, group=self.control))
        if len(set(fingerprints)) > 1:  # every rank raises the same error, so none is left waiting
            seen = ", ".join(f"rank {r}: {f[:12]}" for r, f in enumerate(fingerprints))
            raise ClusterError(
                f"the ranks loaded different data (fingerprints {seen}); every rank must read the same files"
            )
        return super().assign(names, loads, fingerprint, replicated)

    def gather(self, value: T) -> list[T] | None:
        out: list[Any] | None = [None] * self.world_size if self.is_writer else None
        self._collective(lambda: dist.gather_object(value, out, dst=0, group=self.control))
        return out

    def heartbeat(self, lockstep: bool = False) -> Heartbeat:
        return Heartbeat(self.control, self.waiting, lockstep=lockstep)

    def sum_over_ranks(self, tensor: torch.Tensor) -> None:
        try:
            with self.waiting():  # mostly waiting for the slowest rank's share of the work
                dist.all_reduce(tensor, op=dist.ReduceOp.SUM, group=self.training)
        except RuntimeError as exc:  # a rank failed or vanished; the heartbeat tells why
            raise RankFailed(f"lost contact with another rank ({str(exc).splitlines()[0]})") from None

    @property
    def backend(self) -> str | None:
        return dist.get_backend()


def rank_device(device: torch.device, env: LaunchEnv) -> torch.device:
    """The device of this rank: with CUDA, the GPU of its local rank (one GPU per local rank)."""
    if device.type != "cuda" or not env.is_distributed:
        return device
    if device.index is not None and (env.local_world_size or 2) > 1:
        raise ClusterError(
            f"train.device={device} would put every rank of this node on one GPU; "
            "use cuda or auto so that each local rank takes its own GPU"
        )
    index = env.local_rank if device.index is None else device.index
    if index >= torch.cuda.device_count():
        raise ClusterError(
            f"local rank {env.local_rank} needs GPU {index} but {torch.cuda.device_count()} are visible; "
            "start at most one process per GPU on each node"
        )
    return torch.device("cuda", index)


def attempt_store(env: LaunchEnv) -> dist.Store:
    """The rendezvous store, its keys private to this attempt of the job.

    torchrun's restarted workers meet in the store of the first attempt, which
    still holds the dead workers' addresses; connecting to those fails
    (pytorch/pytorch#167288). A prefix per restart keeps each attempt's keys apart.
    """
    assert env.init_method is not None  # a distributed launch always says how ranks meet
    store, _, _ = next(dist.rendezvous(env.init_method, env.rank, env.world_size, timeout=COLLECTIVE_TIMEOUT))
    return dist.PrefixStore(f"ganfleet/attempt-{env.restart_count}", store)


@contextmanager
def join(device: torch.device, env: LaunchEnv | None = None) -> Iterator[Cluster]:
    """This process's Cluster for the duration of a run (a process group only when there are several ranks).

    `env` is who launched this process (`detect_launch(os.environ)` when not given).
    """
    env = detect_launch(os.environ) if env is None else env
    if not env.is_distributed:
        yield Cluster(env, device)
        return
    if not dist.is_available():
        raise ClusterError(
            f"{env.launcher} started {env.world_size} ranks but this torch build has no torch.distributed"
        )
    device = rank_device(device, env)
    owner = not dist.is_initialized()  # a caller may have set up the group already (library use); then it is theirs
    if owner:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(
            "nccl" if device.type == "cuda" else "gloo",
            store=attempt_store(env),
            rank=env.rank,
            world_size=env.world_size,
            timeout=COLLECTIVE_TIMEOUT,
        )
    elif (dist.get_rank(), dist.get_world_size()) != (env.rank, env.world_size):
        raise ClusterError(
            f"the process group (rank {dist.get_rank()} of {dist.get_world_size()}) does not match "
            f"the launcher's (rank {env.rank} of {env.world_size})"
        )
    gloo = dist.get_backend() == "gloo"
    control = None if gloo else dist.new_group(backend="gloo", timeout=COLLECTIVE_TIMEOUT)
    training = dist.new_group(backend="gloo", timeout=COLLECTIVE_TIMEOUT) if gloo else None
    try:
        yield ProcessGroupCluster(env, device, control, training)
    finally:
        if owner:
            dist.destroy_process_group()
