"""LPT class-to-rank assignment: worked examples, Graham's bound against brute force, errors."""

from __future__ import annotations

import itertools

import pytest
import torch

from ganfleet.distributed.assign import assign_classes, makespan
from ganfleet.errors import ClusterError


def optimal_makespan(loads: list[float], ranks: int) -> float:
    """Brute force over every assignment of pairs to ranks (an independent check of LPT)."""
    best = float("inf")
    for choice in itertools.product(range(ranks), repeat=len(loads)):
        totals = [0.0] * ranks
        for load, rank in zip(loads, choice):
            totals[rank] += load
        best = min(best, max(totals))
    return best


def test_worked_example_largest_first_to_least_loaded() -> None:
    # by hand: 9 -> r0, 8 -> r1, 7 -> r2; then 6 -> r2 (least, 7), 4 -> r1 (8), 2 -> r0 (9): loads 11, 12, 13
    shares = assign_classes([2, 9, 4, 7, 8, 6], 3)
    assert shares == [[0, 1], [2, 4], [3, 5]]
    assert [sum([2, 9, 4, 7, 8, 6][i] for i in s) for s in shares] == [11, 12, 13]


def test_equal_loads_deal_round_robin_and_one_rank_takes_all() -> None:
    assert assign_classes([5] * 10, 2) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    assert assign_classes([5] * 10, 3) == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    assert assign_classes([3, 1, 2], 1) == [[0, 1, 2]]
    assert assign_classes([3, 1, 2], 3) == [[0], [2], [1]]


def test_every_pair_exactly_once_and_within_grahams_bound() -> None:
    g = torch.Generator().manual_seed(0)
    for _ in range(60):
        n = int(torch.randint(2, 7, (1,), generator=g))
        ranks = int(torch.randint(1, n + 1, (1,), generator=g))
        loads = torch.randint(1, 50, (n,), generator=g).tolist()
        shares = assign_classes(loads, ranks)
        assert sorted(i for s in shares for i in s) == list(range(n))
        assert all(s for s in shares)  # no idle rank
        opt = optimal_makespan(loads, ranks)
        lpt = makespan(loads, shares)
        assert opt <= lpt <= (4 / 3 - 1 / (3 * ranks)) * opt + 1e-9


def test_lpt_is_optimal_where_it_must_be_and_not_always() -> None:
    # Graham's tight example for m = 2: LPT gives 7, the optimum is 6 (3+3 | 2+2+2).
    loads = [3, 3, 2, 2, 2]
    assert makespan(loads, assign_classes(loads, 2)) == 7
    assert optimal_makespan(loads, 2) == 6


def test_errors_name_the_problem() -> None:
    with pytest.raises(ClusterError, match="3 ranks but only 2 pair"):
        assign_classes([1, 1], 3)
    with pytest.raises(ClusterError, match="at least 1"):
        assign_classes([1], 0)
    with pytest.raises(ClusterError, match="positive"):
        assign_classes([1, 0], 2)
