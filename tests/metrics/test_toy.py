"""Toy metrics on hand-placed points, and the KDE against scipy and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.neighbors import KernelDensity

from ganfleet.metrics.toy import (
    cross_validated_bandwidth, high_quality_share, kde_log_likelihood, modes_covered, nearest_mode,
)

CENTERS = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
STD = 0.1  # high quality: within 0.3 of a centre


def test_nearest_mode() -> None:
    index, distance = nearest_mode(torch.tensor([[1.9, 0.0], [0.0, 0.5], [1.0, 1.0]]), CENTERS)
    assert index[:2].tolist() == [1, 0]
    torch.testing.assert_close(distance, torch.tensor([0.1, 0.5, 2**0.5], dtype=torch.float64), rtol=0, atol=1e-6)  # inputs are float32


def test_high_quality_share_counts_points_within_three_std() -> None:
    # distances 0.29 (in), 0.31 (out), 0.0 (in), 1.0 (out)
    samples = torch.tensor([[0.29, 0.0], [2.0, 0.31], [2.0, 2.0], [1.0, 0.0]])
    assert high_quality_share(samples, CENTERS, STD) == 0.5


def test_modes_covered_needs_a_fifth_of_the_fair_share() -> None:
    # 100 samples, 4 modes: a mode needs >= 0.2 * 25 = 5 high-quality samples.
    samples = torch.cat([
        CENTERS[0].repeat(80, 1),            # mode 0: 80
        CENTERS[1].repeat(5, 1),             # mode 1: 5 (just covered)
        CENTERS[2].repeat(4, 1),             # mode 2: 4 (not covered)
        (CENTERS[3] + 0.5).repeat(11, 1),    # near mode 3 but 0.71 away: low quality, not covered
    ])
    assert modes_covered(samples, CENTERS, STD) == 2.0
    assert modes_covered(samples[:80], CENTERS, STD) == 1.0  # mode collapse
    assert modes_covered(CENTERS.repeat(25, 1), CENTERS, STD) == 4.0


def test_kde_log_likelihood_is_a_gaussian_mixture_density() -> None:
    fake = torch.tensor([[0.0, 0.0], [1.0, 0.5], [-0.3, 2.0]])
    real = torch.tensor([[0.1, 0.1], [0.9, 0.4], [5.0, 5.0]])
    h = 0.4
    expected = np.mean([
        np.log(np.mean([multivariate_normal(mean=f, cov=h**2 * np.eye(2)).pdf(x) for f in fake.numpy()]))
        for x in real.numpy()
    ])
    assert kde_log_likelihood(real, fake, h) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_kde_log_likelihood_matches_scikit_learn_and_is_chunk_independent() -> None:
    g = torch.Generator().manual_seed(0)
    fake, real = torch.randn(300, 2, generator=g), torch.randn(200, 2, generator=g) * 1.5
    reference = KernelDensity(bandwidth=0.3).fit(fake.numpy().astype(np.float64)).score_samples(real.numpy().astype(np.float64)).mean()
    assert kde_log_likelihood(real, fake, 0.3) == pytest.approx(reference, rel=1e-9, abs=1e-9)
    assert kde_log_likelihood(real, fake, 0.3, chunk=7) == pytest.approx(reference, rel=1e-9, abs=1e-9)


def test_cross_validated_bandwidth_follows_the_spread_of_the_samples() -> None:
    g = torch.Generator().manual_seed(1)
    narrow = cross_validated_bandwidth(0.01 * torch.randn(400, 2, generator=g))
    wide = cross_validated_bandwidth(torch.randn(400, 2, generator=g))
    assert 0.003 <= narrow <= 0.02
    assert 0.1 <= wide <= 1.0
