"""Metrics of 2-D toy mixtures (SGAN section 4, after VEEGAN and PacGAN).

- high-quality share: samples within 3 standard deviations of their nearest mode centre;
- modes covered: modes that receive at least 20 % of the high-quality samples
  they would get from a perfect generator, n * prior_k * 0.2 (PacGAN's rule
  "at least 20 of 2,500 samples" for 25 equal modes, scaled to n and the prior);
- KDE log-likelihood: mean log-density of real points under a Gaussian kernel
  density estimate built on the generated samples (bandwidth: the mixture's mode
  std when known, else Scott's rule, or cross-validated on the samples as SGAN
  does: `cross_validated_bandwidth`), in nats per point.
"""

from __future__ import annotations

import math

import torch

HIGH_QUALITY_SIGMAS = 3.0
COVERED_SHARE = 0.2


def nearest_mode(points: torch.Tensor, centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(index of the nearest centre, distance to it) for each point."""
    d = torch.cdist(points.to(torch.float64), centers.to(torch.float64))
    distance, index = d.min(dim=1)
    return index, distance


def mode_metrics(fake: torch.Tensor, centers: torch.Tensor, std: float, prior: list[float]) -> dict[str, float]:
    """High-quality share, number and share of modes covered, share not covered (SGAN's figure)."""
    index, distance = nearest_mode(fake, centers)
    good = distance <= HIGH_QUALITY_SIGMAS * std
    counts = torch.bincount(index[good], minlength=len(centers)).to(torch.float64)
    expected = len(fake) * torch.tensor(prior, dtype=torch.float64)
    covered = int((counts >= COVERED_SHARE * expected).sum())
    return {
        "high_quality_share": float(good.double().mean()),
        "modes_covered": float(covered),
        "modes_total": float(len(centers)),
        "modes_not_covered_share": 1.0 - covered / len(centers),
    }


def scott_bandwidth(points: torch.Tensor) -> float:
    """Scott's rule n^(-1/(d+4)) times the mean per-dimension std."""
    n, d = points.shape
    return float(points.to(torch.float64).std(dim=0).mean()) * n ** (-1.0 / (d + 4))


def kde_log_likelihood(real: torch.Tensor, fake: torch.Tensor, bandwidth: float, chunk: int = 2048) -> float:
    """Mean over real points of log (1/M) sum_j N(x; y_j, h^2 I), float64, chunked over real points."""
    real, fake = real.to(torch.float64), fake.to(torch.float64)
    d = real.shape[1]
    norm = -0.5 * d * math.log(2 * math.pi * bandwidth**2) - math.log(len(fake))
    total = 0.0
    for start in range(0, len(real), chunk):
        sq = torch.cdist(real[start : start + chunk], fake).square()
        total += float((torch.logsumexp(-sq / (2 * bandwidth**2), dim=1) + norm).sum())
    return total / len(real)


BANDWIDTHS = tuple(float(h) for h in torch.logspace(-2.5, 0.0, 11, dtype=torch.float64))  # 0.003 .. 1


def cross_validated_bandwidth(fake: torch.Tensor, bandwidths: tuple[float, ...] = BANDWIDTHS) -> float:
    """The bandwidth whose KDE on one half of `fake` best predicts the other half (both ways, summed).

    SGAN (appendix A) picks its KDE bandwidth by cross-validation on the samples.
    """
    first, second = fake[0::2], fake[1::2]
    scores = [kde_log_likelihood(second, first, h) + kde_log_likelihood(first, second, h) for h in bandwidths]
    return bandwidths[max(range(len(scores)), key=scores.__getitem__)]
