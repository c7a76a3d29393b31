"""Which rank trains which pairs: longest-processing-time-first (LPT) list scheduling.

Pairs never communicate, so spreading them over ranks is makespan scheduling
on identical machines: the job lasts as long as the most loaded rank. LPT
sorts the pairs by load, largest first, and gives each to the rank with the
least load so far; its makespan is within 4/3 - 1/(3m) of the optimum for m
ranks (Graham, 1969). A pair's load is its step budget, which under an epoch
budget is proportional to its class's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from ganfleet.errors import ClusterError


def assign_classes(loads: Sequence[float], world_size: int) -> list[list[int]]:
    """Indices of `loads` given to each of `world_size` ranks, LPT; each rank's list ascending.

    Deterministic, so every rank computes the same assignment on its own: ties
    in load go to the lower index first, ties between ranks to the lower rank.
    More ranks than pairs is an error (a pair is never split over ranks).
    """
    if world_size < 1:
        raise ClusterError(f"world size must be at least 1, got {world_size}")
    if world_size > len(loads):
        raise ClusterError(
            f"{world_size} ranks but only {len(loads)} pair(s) to train: a pair (one class) is never split "
            f"over ranks, so use at most {len(loads)} process(es)"
        )
    if any(load <= 0 for load in loads):  # positive loads also give every rank at least one pair
        raise ClusterError(f"pair loads must be positive, got {list(loads)}")
    ranks: list[tuple[float, int]] = [(0.0, r) for r in range(world_size)]  # (load so far, rank): a min-heap
    shares: list[list[int]] = [[] for _ in range(world_size)]
    for index in sorted(range(len(loads)), key=lambda i: (-loads[i], i)):
        load, rank = heapq.heappop(ranks)
        shares[rank].append(index)
        heapq.heappush(ranks, (load + loads[index], rank))
    return [sorted(share) for share in shares]


def makespan(loads: Sequence[float], shares: Sequence[Sequence[int]]) -> float:
    """The largest total load of any rank under `shares`."""
    return max(sum(loads[i] for i in share) for share in shares)
