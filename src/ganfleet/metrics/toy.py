"""Metrics of generated 2-D toy samples (SGAN section 4.1 and appendix A).

Pure functions of tensors, float64 inside:

- `high_quality_share`: share of samples within 3 std of their nearest mode
  centre (the usual "high-quality sample" of the mixture benchmarks);
- `modes_covered`: modes whose high-quality samples reach 20 % of the count a
  perfect generator would give them (PacGAN's rule, 20 of 2,500 samples over 25
  equal modes, scaled to n samples and K equal modes);
- `kde_log_likelihood`: mean log-density (nats) of real points under a Gaussian
  kernel density estimate on the generated samples; SGAN picks the bandwidth by
  cross-validation (`cross_validated_bandwidth`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

HIGH_QUALITY_SIGMAS = 3.0
COVERED_SHARE = 0.2
BANDWIDTHS = tuple(float(h) for h in torch.logspace(-2.5, 0.0, 11, dtype=torch.float64))  # 0.003 .. 1


def nearest_mode(samples: torch.Tensor, centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(index of the nearest centre, Euclidean distance to it) of every sample."""
    distance, index = torch.cdist(samples.double(), centers.double()).min(dim=1)
    return index, distance


def high_quality_share(samples: torch.Tensor, centers: torch.Tensor, std: float) -> float:
    """Share of samples within HIGH_QUALITY_SIGMAS * std of the nearest centre."""
    _, distance = nearest_mode(samples, centers)
    return float((distance <= HIGH_QUALITY_SIGMAS * std).double().mean())


def modes_covered(samples: torch.Tensor, centers: torch.Tensor, std: float) -> float:
    """Number of modes given at least COVERED_SHARE * n / K high-quality samples."""
    index, distance = nearest_mode(samples, centers)
    counts = torch.bincount(index[distance <= HIGH_QUALITY_SIGMAS * std], minlength=len(centers))
    return float((counts >= COVERED_SHARE * len(samples) / len(centers)).sum())


def kde_log_likelihood(real: torch.Tensor, fake: torch.Tensor, bandwidth: float, chunk: int = 4096) -> float:
    """Mean over real points x of log (1/M) sum_j N(x; fake_j, bandwidth^2 I)."""
    real, fake = real.double(), fake.double()
    dim = real.shape[1]
    log_norm = -math.log(len(fake)) - 0.5 * dim * math.log(2.0 * math.pi * bandwidth**2)
    total = 0.0
    for start in range(0, len(real), chunk):
        sq = torch.cdist(real[start : start + chunk], fake).square()
        total += float(torch.logsumexp(-0.5 * sq / bandwidth**2, dim=1).sum())
    return total / len(real) + log_norm


def cross_validated_bandwidth(fake: torch.Tensor, bandwidths: Sequence[float] = BANDWIDTHS) -> float:
    """The bandwidth whose KDE on one half of `fake` best predicts the other half (both ways, averaged)."""
    first, second = fake[0::2], fake[1::2]
    scores = [kde_log_likelihood(second, first, h) + kde_log_likelihood(first, second, h) for h in bandwidths]
    return bandwidths[max(range(len(scores)), key=scores.__getitem__)]
