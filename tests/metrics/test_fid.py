"""FID against torchmetrics, scipy's sqrtm, the closed form of two Gaussians, and itself."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from ganfleet.metrics.fid import GaussianStats, fid, frechet_distance, gaussian_stats


class Passthrough(torch.nn.Module):
    """A 'feature extractor' that returns its input: lets torchmetrics' metrics run on given features."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def correlated(n: int, d: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(d, d, generator=g, dtype=torch.float64) / d**0.5
    return torch.randn(n, d, generator=g, dtype=torch.float64) @ mixing + shift + 3.0


def test_equals_torchmetrics_with_the_same_feature_module() -> None:
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = correlated(600, 16, 0), correlated(500, 16, 1, shift=0.3)
    reference = FrechetInceptionDistance(feature=Passthrough(16))
    reference.update(real, real=True)
    reference.update(fake, real=False)
    torch.testing.assert_close(fid(real, fake), float(reference.compute()), rtol=1e-4, atol=0)


def test_equals_scipy_sqrtm() -> None:
    real, fake = correlated(400, 12, 2).numpy(), correlated(300, 12, 3, shift=-0.5).numpy()
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    expected = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root))
    torch.testing.assert_close(fid(torch.from_numpy(real), torch.from_numpy(fake)), expected, rtol=1e-9, atol=1e-9)


def test_gaussian_stats_equal_numpy() -> None:
    x = correlated(50, 5, 4)
    stats = gaussian_stats(x)
    torch.testing.assert_close(stats.mean, torch.from_numpy(x.numpy().mean(0)), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(stats.cov, torch.from_numpy(np.cov(x.numpy(), rowvar=False)), rtol=1e-12, atol=1e-12)
    assert stats.n == 50 and stats.mean.dtype == torch.float64


def test_two_gaussians_closed_form() -> None:
    # Commuting covariances (shared eigenvectors Q): the trace term is sum_i sqrt(a_i b_i), so
    # FID = |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    a = torch.tensor([4.0, 1.0, 0.25, 2.0, 9.0, 0.5], dtype=torch.float64)
    b = torch.tensor([1.0, 1.0, 1.0, 8.0, 4.0, 0.0], dtype=torch.float64)  # one zero variance: a singular covariance
    mu1, mu2 = torch.zeros(6, dtype=torch.float64), torch.arange(6, dtype=torch.float64) / 3
    expected = float((mu1 - mu2).square().sum() + (a.sqrt() - b.sqrt()).square().sum())
    got = frechet_distance(
        GaussianStats(mu1, q @ torch.diag(a) @ q.T, 2), GaussianStats(mu2, q @ torch.diag(b) @ q.T, 2)
    )
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_two_gaussians_from_samples_approach_the_closed_form() -> None:
    g = torch.Generator().manual_seed(6)
    x = torch.randn(200_000, 2, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0], dtype=torch.float64)
    y = torch.randn(200_000, 2, generator=g, dtype=torch.float64) * 3.0 + 1.0
    expected = 2.0 + (1 - 3) ** 2 + (2 - 3) ** 2  # |mu|^2 = 2; diagonal covariances
    torch.testing.assert_close(fid(x, y), expected, rtol=0.01, atol=0)


def test_a_set_with_itself_is_zero() -> None:
    x = correlated(300, 32, 7)
    value = fid(x, x)
    assert 0.0 <= value < 1e-9 * float(torch.trace(gaussian_stats(x).cov))
    assert fid(x, x + 1.0) == pytest.approx(32.0, rel=1e-9)  # a pure shift adds |shift|^2 = 32 x 1^2


def test_never_negative_and_symmetric() -> None:
    x, y = correlated(40, 64, 8), correlated(40, 64, 9)  # n < d: singular covariances
    assert fid(x, y) >= 0.0
    torch.testing.assert_close(fid(x, y), fid(y, x), rtol=1e-8, atol=0)


def test_bad_shapes() -> None:
    with pytest.raises(ValueError, match="N >= 2"):
        gaussian_stats(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="feature sizes differ"):
        fid(torch.randn(5, 3), torch.randn(5, 4))
