"""Toy metrics: high-quality share and modes covered on placed samples; KDE against scipy's normal pdf."""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from ganfleet.data.toy import ring_centers
from ganfleet.metrics.toy import cross_validated_bandwidth, kde_log_likelihood, mode_metrics, scott_bandwidth

CENTERS = torch.from_numpy(ring_centers(8))
STD = 0.02


def test_modes_covered_and_high_quality_share() -> None:
    g = torch.Generator().manual_seed(0)
    # 100 samples on each of modes 0..5 (within 1 std), 2 on mode 6 (too few: < 20 % of 125), none on mode 7,
    # and 98 far off any mode
    on_mode = [CENTERS[k] + STD * torch.randn(100, 2, generator=g, dtype=torch.float64).clamp(-1, 1) for k in range(6)]
    few = CENTERS[6] + torch.zeros(2, 2, dtype=torch.float64)
    off = torch.full((98, 2), 5.0, dtype=torch.float64)
    out = mode_metrics(torch.cat([*on_mode, few, off]), CENTERS, STD, [1 / 8] * 8)
    assert out["high_quality_share"] == 602 / 700
    assert (out["modes_covered"], out["modes_total"]) == (6.0, 8.0)
    assert out["modes_not_covered_share"] == 0.25


def test_three_sigma_boundary() -> None:
    just_in = CENTERS[:1] + torch.tensor([[2.99 * STD, 0.0]], dtype=torch.float64)
    just_out = CENTERS[:1] + torch.tensor([[3.01 * STD, 0.0]], dtype=torch.float64)
    assert mode_metrics(just_in, CENTERS, STD, [1 / 8] * 8)["high_quality_share"] == 1.0
    assert mode_metrics(just_out, CENTERS, STD, [1 / 8] * 8)["high_quality_share"] == 0.0


def test_kde_log_likelihood_equals_a_mixture_of_scipy_normals() -> None:
    g = torch.Generator().manual_seed(1)
    fake = torch.randn(50, 2, generator=g, dtype=torch.float64)
    real = torch.randn(30, 2, generator=g, dtype=torch.float64) * 1.5
    h = 0.3
    logpdf = np.stack([multivariate_normal(mean=y, cov=h**2 * np.eye(2)).logpdf(real.numpy()) for y in fake.numpy()])
    expected = float(np.mean(logsumexp(logpdf, axis=0) - np.log(len(fake))))
    torch.testing.assert_close(kde_log_likelihood(real, fake, h, chunk=7), expected, rtol=1e-10, atol=1e-10)


def test_better_samples_have_higher_likelihood() -> None:
    g = torch.Generator().manual_seed(2)
    real = CENTERS[torch.randint(0, 8, (400,), generator=g)] + STD * torch.randn(
        400, 2, generator=g, dtype=torch.float64
    )
    good = CENTERS[torch.randint(0, 8, (400,), generator=g)] + STD * torch.randn(
        400, 2, generator=g, dtype=torch.float64
    )
    collapsed = CENTERS[:1] + STD * torch.randn(400, 2, generator=g, dtype=torch.float64)
    assert kde_log_likelihood(real, good, STD) > kde_log_likelihood(real, collapsed, STD) + 10
    assert 0 < scott_bandwidth(real) < 2


def test_cross_validated_bandwidth_follows_the_spread_of_the_samples() -> None:
    g = torch.Generator().manual_seed(1)
    narrow = cross_validated_bandwidth(0.01 * torch.randn(400, 2, generator=g))
    wide = cross_validated_bandwidth(torch.randn(400, 2, generator=g))
    assert 0.003 <= narrow <= 0.02
    assert 0.1 <= wide <= 1.0
