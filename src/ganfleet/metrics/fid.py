"""Fréchet distance between Gaussians fitted to feature sets (FID), in float64.

    FID = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2)

The trace term is computed in the symmetric form: S_a^1/2 from an eigen
decomposition of S_a, then the eigenvalues of the symmetric PSD matrix
S_a^1/2 S_b S_a^1/2. Unlike `sqrtm(S_a S_b)` (scipy, pytorch-fid) or the
eigenvalues of the non-symmetric product (torchmetrics) this never produces
complex parts; eigenvalues that round below zero are clamped to zero, and so
is the final value (a distance cannot be negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class GaussianStats:
    """Mean (D,) and unbiased covariance (D, D) of a feature set, float64, and its size."""

    mean: torch.Tensor
    cov: torch.Tensor
    n: int


def gaussian_stats(features: torch.Tensor) -> GaussianStats:
    """Float64 mean and covariance (divisor n - 1, as numpy.cov) of (N, D) features, N >= 2."""
    x = features.to(torch.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"gaussian_stats needs (N, D) features with N >= 2, got shape {tuple(x.shape)}")
    mean = x.mean(dim=0)
    centred = x - mean  # centre first: sum(x x^T) - n mu mu^T loses digits when |mu| >> spread
    cov = centred.T @ centred / (len(x) - 1)
    return GaussianStats(mean, cov, len(x))


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric PSD matrix (eigenvalues clamped at 0)."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(a: GaussianStats, b: GaussianStats) -> float:
    """FID between two fitted Gaussians (float64, symmetric eigen form, >= 0)."""
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"feature sizes differ: {tuple(a.mean.shape)} vs {tuple(b.mean.shape)}")
    root_a = _sqrt_psd(a.cov.to(torch.float64))
    middle = root_a @ b.cov.to(torch.float64) @ root_a
    middle = (middle + middle.T) / 2  # exactly symmetric for eigvalsh
    trace_sqrt = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    diff = a.mean.to(torch.float64) - b.mean.to(torch.float64)
    value = diff.dot(diff) + torch.trace(a.cov) + torch.trace(b.cov) - 2 * trace_sqrt
    return max(float(value), 0.0)


def fid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID of two (N, D) feature sets."""
    return frechet_distance(gaussian_stats(real), gaussian_stats(fake))
