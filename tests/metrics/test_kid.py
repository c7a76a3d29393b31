"""KID against torchmetrics (same subsets), a hand-written MMD^2, and zero in expectation."""

from __future__ import annotations

import itertools

import pytest
import torch

from ganfleet.metrics.kid import kernel_inception_distance
from tests.metrics.test_fid import Passthrough, correlated


def test_equals_torchmetrics_with_the_same_feature_module_and_subsets() -> None:
    from torchmetrics.image.kid import KernelInceptionDistance

    real, fake = correlated(300, 8, 0), correlated(250, 8, 1, shift=0.2)
    reference = KernelInceptionDistance(feature=Passthrough(8), subsets=7, subset_size=100)
    reference.update(real, real=True)
    reference.update(fake, real=False)
    torch.manual_seed(11)  # torchmetrics draws its subsets from the global RNG; ours from a generator with this seed
    ref_mean, ref_std = reference.compute()
    mean, std = kernel_inception_distance(real, fake, subsets=7, subset_size=100, seed=11)
    torch.testing.assert_close(mean, float(ref_mean), rtol=1e-4, atol=0)
    torch.testing.assert_close(std, float(ref_std), rtol=1e-4, atol=0)


def hand_mmd2(x: list[list[float]], y: list[list[float]]) -> float:
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, written out with loops."""
    d = len(x[0])

    def k(a: list[float], b: list[float]) -> float:
        return (sum(p * q for p, q in zip(a, b)) / d + 1) ** 3

    m = len(x)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    xy = sum(k(a, b) for a in x for b in y) / (m * m)
    return xx + yy - 2 * xy


def test_one_full_subset_equals_the_written_out_formula() -> None:
    # a subset of every sample is a permutation of the sets, and MMD^2 does not depend on order
    x, y = correlated(12, 3, 2), correlated(12, 3, 3, shift=0.5)
    mean, std = kernel_inception_distance(x, y, subsets=3, subset_size=12, seed=0)
    # the Gram matrices are float32 products (speed), the rest float64
    torch.testing.assert_close(mean, hand_mmd2(x.tolist(), y.tolist()), rtol=1e-6, atol=0)
    assert std == pytest.approx(0.0, abs=1e-6 * mean)


def test_same_distribution_is_zero_within_its_spread_and_deterministic() -> None:
    x = correlated(2000, 8, 4)  # two halves of one sample: the same law
    mean, std = kernel_inception_distance(x[:1000], x[1000:], subsets=20, subset_size=500, seed=0)
    assert abs(mean) < 3 * std + 1e-3
    other = correlated(2000, 8, 5) + 2.0
    far, _ = kernel_inception_distance(x, other, subsets=20, subset_size=500, seed=0)
    assert far > 10 * max(abs(mean), std)
    assert kernel_inception_distance(x, other, 5, 100, seed=3) == kernel_inception_distance(x, other, 5, 100, seed=3)
    assert kernel_inception_distance(x, other, 5, 100, seed=3) != kernel_inception_distance(x, other, 5, 100, seed=4)


def test_subsets_shrink_to_the_smaller_set() -> None:
    mean, _ = kernel_inception_distance(correlated(30, 4, 6), correlated(500, 4, 7), subsets=2, subset_size=1000)
    assert mean == mean  # computed (not NaN) with subsets of 30
    with pytest.raises(ValueError, match="at least 2"):
        kernel_inception_distance(torch.zeros(1, 4), torch.zeros(5, 4))
