"""An adaptive budget: the steps left of a fixed total go to the class pairs that are worst so far.

`allocate` is a pure function of per-pair scores (per-class FID: higher is worse); the training loop
measures the scores after a first part of the budget and trains each pair on to its share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def allocate(scores: Mapping[str, float], total: int, floor: int = 0) -> dict[str, int]:
    """`total` steps split over the pairs of `scores`: `floor` each, the rest in proportion to their scores.

    Integers that sum to `total` exactly (largest remainders, ties to the higher score, then the name);
    a pair with a worse (higher) score never gets fewer steps than a better one. A score that is not finite
    counts as the worst finite one.
    """
    if not scores:
        return {}
    if total < floor * len(scores):
        raise ValueError(f"cannot give {len(scores)} pairs {floor} steps each out of {total}")
    finite = [s for s in scores.values() if math.isfinite(s)]
    worst = max(finite, default=1.0)
    weights = {name: max(s if math.isfinite(s) else worst, 0.0) for name, s in scores.items()}
    spare = total - floor * len(scores)
    weight_sum = sum(weights.values())
    if weight_sum <= 0:  # nothing tells the pairs apart: equal shares
        weights = dict.fromkeys(scores, 1.0)
        weight_sum = float(len(scores))
    exact = {name: spare * w / weight_sum for name, w in weights.items()}
    steps = {name: floor + math.floor(x) for name, x in exact.items()}
    short = total - sum(steps.values())
    order = sorted(scores, key=lambda n: (-(exact[n] - math.floor(exact[n])), -weights[n], n))
    for name in order[:short]:
        steps[name] += 1
    return steps
