"""The adaptive budget's allocation: a pure function of made-up per-class scores."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from ganfleet.train.allocate import allocate


def test_worse_classes_get_more_and_the_total_is_kept() -> None:
    scores = {"class-0000": 20.0, "class-0005": 120.0, "class-0008": 60.0}
    steps = allocate(scores, total=1000, floor=100)
    assert sum(steps.values()) == 1000 and min(steps.values()) >= 100
    assert steps["class-0005"] > steps["class-0008"] > steps["class-0000"]
    assert steps == {"class-0000": 170, "class-0005": 520, "class-0008": 310}  # 100 + 700 x (20, 120, 60) / 200


@pytest.mark.parametrize("seed", range(20))
def test_random_scores_keep_the_total_the_floor_and_the_order(seed: int) -> None:
    rng = random.Random(seed)
    scores = {f"class-{k:04d}": rng.uniform(1, 300) for k in range(rng.randint(1, 40))}
    total = rng.randint(len(scores) * 10, 10_000)
    steps = allocate(scores, total, floor=10)
    assert sum(steps.values()) == total and all(s >= 10 for s in steps.values())
    by_score = sorted(scores, key=scores.__getitem__)
    assert all(steps[a] <= steps[b] for a, b in itertools.pairwise(by_score))


def test_equal_or_unknown_scores_split_evenly_and_nan_counts_as_the_worst() -> None:
    assert allocate(dict.fromkeys("abc", 0.0), 10) == {"a": 4, "b": 3, "c": 3}
    steps = allocate({"a": 10.0, "b": math.nan, "c": 30.0}, 70)
    assert steps["b"] == steps["c"] == 30 and steps["a"] == 10
    assert allocate({}, 5) == {}
    with pytest.raises(ValueError, match="cannot give 3 pairs 5 steps each out of 10"):
        allocate(dict.fromkeys("abc", 1.0), 10, floor=5)
