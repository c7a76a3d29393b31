"""Precision/recall/density/coverage on constructed point sets, and against a plain full-matrix version."""

from __future__ import annotations

import math

import pytest
import torch

from ganfleet.metrics.prdc import knn_radii, prdc


def circle(n: int, radius: float, centre: tuple[float, float] = (0.0, 0.0), phase: float = 0.0) -> torch.Tensor:
    angles = 2 * math.pi * torch.arange(n, dtype=torch.float64) / n + phase
    return torch.stack([radius * angles.cos() + centre[0], radius * angles.sin() + centre[1]], dim=1)


def test_knn_radii_on_a_regular_polygon() -> None:
    # 10 points on the unit circle: neighbours at 36, 36, 72, 72, 108 degrees (chord 2 sin(angle / 2))
    radii = knn_radii(circle(10, 1.0), (3, 5), chunk=4)
    torch.testing.assert_close(radii[3], torch.full((10,), 2 * math.sin(math.radians(36)), dtype=torch.float64))
    torch.testing.assert_close(radii[5], torch.full((10,), 2 * math.sin(math.radians(54)), dtype=torch.float64))


def test_constructed_sets_with_known_answers() -> None:
    real = circle(10, 1.0)  # k=3 radius 1.176, k=5 radius 1.618
    near = circle(5, 0.1, phase=0.3)  # 5 samples around the centre: within 1.1 of every real point
    far = circle(5, 0.1, centre=(50.0, 0.0))  # 5 samples nowhere near
    r = prdc(real, torch.cat([near, far]), chunk=3)
    assert r.precision == 0.5  # the 5 near samples only
    assert r.recall == 0.0  # generated balls (radius 0.19) reach no real point
    assert r.coverage == 1.0  # every real ball holds a near sample
    assert r.density == 1.0  # each near sample lies in all 10 real balls: 5 x 10 / (k=5 x 10 samples)


def test_identical_and_disjoint_sets() -> None:
    x = torch.randn(200, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    same = prdc(x, x.clone())
    assert (same.precision, same.recall, same.coverage) == (1.0, 1.0, 1.0)
    apart = prdc(x, x + 100.0)
    assert (apart.precision, apart.recall, apart.density, apart.coverage) == (0.0, 0.0, 0.0, 0.0)


def test_duplicates_stay_inside_closed_balls() -> None:
    x = torch.cat([torch.zeros(6, 2), torch.ones(6, 2)]).double()  # every k-NN radius is 0
    assert prdc(x, x).precision == 1.0


def full_matrix_prdc(
    real: torch.Tensor, fake: torch.Tensor, k_pr: int = 3, k_dc: int = 5
) -> tuple[float, float, float, float]:
    """The definitions written directly on whole distance matrices (the reference)."""

    def radii(x: torch.Tensor, k: int) -> torch.Tensor:
        d = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
        return d.sort(dim=1).values[:, k]

    d = torch.cdist(real, fake, compute_mode="donot_use_mm_for_euclid_dist")  # (N, M)
    precision = (d <= radii(real, k_pr)[:, None]).any(dim=0).double().mean()
    recall = (d <= radii(fake, k_pr)[None, :]).any(dim=1).double().mean()
    inside = d <= radii(real, k_dc)[:, None]
    density = int(inside.sum()) / (k_dc * fake.shape[0])
    coverage = inside.any(dim=1).double().mean()
    return float(precision), float(recall), float(density), float(coverage)


@pytest.mark.parametrize("chunk", [7, 1024])
def test_matches_the_full_matrix_definitions(chunk: int) -> None:
    g = torch.Generator().manual_seed(1)
    real = torch.randn(300, 5, generator=g, dtype=torch.float64)
    fake = torch.randn(250, 5, generator=g, dtype=torch.float64) * 1.3 + 0.4
    r = prdc(real, fake, chunk=chunk)
    expected = full_matrix_prdc(real, fake)
    torch.testing.assert_close((r.precision, r.recall, r.density, r.coverage), expected, rtol=1e-12, atol=1e-12)
    assert 0.0 < r.precision < 1.0 and 0.0 < r.recall < 1.0


def test_recall_is_precision_with_the_roles_swapped() -> None:
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(120, 3, generator=g), torch.randn(150, 3, generator=g) * 0.5
    assert prdc(a, b).recall == prdc(b, a).precision


def test_too_few_points() -> None:
    with pytest.raises(ValueError, match="more than 3"):
        knn_radii(torch.zeros(3, 2), (3,))
