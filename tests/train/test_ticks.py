"""The tick's statistics and the health watch on stacked per-group tensors, against a plain per-pair computation."""

from __future__ import annotations

import math
import random

import torch

from ganfleet.pairs import StepLogs
from ganfleet.train.health import LossWatch
from ganfleet.train.ticks import PairIndex, TickStats

NAMES = [f"class-{i:04d}" for i in range(7)]
KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def random_iterations(seed: int, n: int) -> list[list[StepLogs]]:
    """Iterations whose step groups change: packs of random sizes, a pair now packed, now alone, some pairs idle."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    iterations = []
    for step in range(1, n + 1):
        names = [name for name in NAMES if rng.random() < 0.8]
        rng.shuffle(names)
        groups, i = [], 0
        while i < len(names):
            size = rng.randint(1, 3)
            group = tuple(names[i : i + size])
            values = {key: torch.randn(len(group), generator=gen) for key in KEYS}
            groups.append(StepLogs(group, values, step))
            i += size
        iterations.append(groups)
    return iterations


def test_tick_record_equals_per_pair_means() -> None:
    iterations = random_iterations(seed=0, n=12)
    stats = TickStats(PairIndex(NAMES), images_per_step=64)
    for groups in iterations:
        stats.add(groups)
    record = stats.close(step=12, pair_steps=dict.fromkeys(NAMES, 5), last_step=20)
    expected: dict[str, dict[str, list[float]]] = {}
    for groups in iterations:
        for group in groups:
            for k, name in enumerate(group.names):
                for key in KEYS:
                    expected.setdefault(name, {}).setdefault(key, []).append(float(group.values[key][k]))
    assert record.pairs.keys() == expected.keys()
    for name, values in expected.items():
        for key, seen in values.items():
            assert math.isclose(record.pairs[name][key], sum(seen) / len(seen), rel_tol=1e-5, abs_tol=1e-6)
    for key in KEYS:
        mean = sum(record.pairs[n][key] for n in record.pairs) / len(record.pairs)
        assert math.isclose(record.mean[key], mean, rel_tol=1e-12)
    pair_steps_taken = sum(len(g.names) for groups in iterations for g in groups)
    assert record.images == 64 * pair_steps_taken and record.kimg == 7 * 5 * 64 / 1000
    assert record.to_json().keys() == {"step", "time", "img_per_s", "mean", "pairs"}
    empty = stats.close(step=13, pair_steps={}, last_step=20)  # a new tick starts empty
    assert empty.pairs == {} and empty.mean == {} and empty.images == record.images


def test_loss_watch_keeps_each_pairs_first_non_finite_step() -> None:
    watch = LossWatch(PairIndex(NAMES))
    ones = {key: torch.ones(3) for key in KEYS}
    watch.observe([StepLogs(tuple(NAMES[:3]), ones, 1), StepLogs(tuple(NAMES[3:6]), ones, 1)])
    bad = {key: torch.tensor([1.0, float("nan"), 1.0]) for key in KEYS}
    watch.observe([StepLogs(tuple(NAMES[:3]), bad, 2)])
    inf = {"d_loss": torch.tensor([float("inf")]), "g_loss": torch.tensor([0.0])}
    watch.observe([StepLogs((NAMES[1],), inf, 3), StepLogs((NAMES[6],), inf, 3)])  # class 1 now alone
    assert watch.first_bad(NAMES) == {NAMES[1]: 2, NAMES[6]: 3}  # the first bad step is kept
    assert watch.first_bad(NAMES[2:6]) == {} and LossWatch(PairIndex(NAMES)).first_bad(NAMES) == {}
