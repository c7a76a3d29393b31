"""How many CPU threads a training process uses (`train.threads`), and why.

On a machine another job is using, torch's default (one thread per core)
oversubscribes the cores: its OpenMP threads spin waiting for each other, and
a run took 97 s with 2 threads next to one other job against 30 s with 1
(2 cores). `auto` therefore counts the cores that are *free* when the run
starts (busy time over a short sample of /proc/stat; the load average where
that file is missing) and uses those, shared among the node's ranks, never
fewer than one. An explicit OMP_NUM_THREADS, or a number, is taken as given.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from ganfleet.distributed.env import usable_cores

SAMPLE_S = 0.25  # how long busy cores are sampled


@dataclass(frozen=True)
class ThreadChoice:
    """Threads for this process and the reason, for the log and the manifest."""

    threads: int
    reason: str

    def __str__(self) -> str:
        return f"threads: {self.threads} ({self.reason})"


def busy_cores(sample_s: float = SAMPLE_S) -> float | None:
    """Cores kept busy by other processes right now: /proc/stat over `sample_s` (Linux), else the 1-minute load;
    None if unknown."""
    try:
        first = _cpu_times()
        time.sleep(sample_s)
        second = _cpu_times()
        total = sum(second) - sum(first)
        idle = (second[3] + second[4]) - (first[3] + first[4])  # idle + iowait
        return (os.cpu_count() or 1) * max(0.0, total - idle) / total if total > 0 else None
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except OSError:
            return None


def _cpu_times() -> list[int]:
    with open("/proc/stat", encoding="ascii") as f:
        return [int(v) for v in f.readline().split()[1:8]]


def choose_threads(
    setting: str | int, ranks_on_node: int = 1, environ: Mapping[str, str] | None = None, busy: float | None = None
) -> ThreadChoice:
    """Threads per process for `train.threads` = `setting` with `ranks_on_node` ranks on this node.

    `busy`: cores used by other work (measured with `busy_cores` when None).
    """
    environ = os.environ if environ is None else environ
    if setting != "auto":
        return ThreadChoice(int(setting), "train.threads")
    if environ.get("OMP_NUM_THREADS", "").isdigit() and int(environ["OMP_NUM_THREADS"]) > 0:
        return ThreadChoice(int(environ["OMP_NUM_THREADS"]), "OMP_NUM_THREADS")
    cores = usable_cores()
    share = max(1, cores // max(1, ranks_on_node))
    busy = busy_cores() if busy is None else busy
    if busy is None:
        return ThreadChoice(share, f"{cores} cores over {ranks_on_node} rank(s); their load is unknown")
    free = max(1, cores - round(busy))
    threads = max(1, min(share, free // max(1, ranks_on_node)))
    ranks = f" over {ranks_on_node} ranks" if ranks_on_node > 1 else ""
    return ThreadChoice(threads, f"{cores} cores, {busy:.1f} busy with other work: {free} free{ranks}")


@contextmanager
def using_threads(choice: ThreadChoice) -> Iterator[ThreadChoice]:
    """torch's intra-op threads set to the choice for the block, then restored (library callers keep theirs)."""
    before = torch.get_num_threads()
    torch.set_num_threads(choice.threads)
    try:
        yield choice
    finally:
        torch.set_num_threads(before)
