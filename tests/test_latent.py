"""The generators' noise: seeded and truncated draws, walks along the great circle."""

from __future__ import annotations

import pytest
import torch

from ganfleet.latent import draw_noise, latent_walk, slerp


def test_noise_is_seeded_and_truncation_keeps_it_inside() -> None:
    assert torch.equal(draw_noise(5, 8, seed=1), torch.randn(5, 8, generator=torch.Generator().manual_seed(1)))
    z = draw_noise(500, 16, seed=1, truncation=0.5)
    assert float(z.abs().max()) <= 0.5 and torch.equal(z, draw_noise(500, 16, seed=1, truncation=0.5))
    assert float(z.std()) < 0.4  # redrawn, not clipped: no pile-up at +-0.5
    with pytest.raises(ValueError):
        draw_noise(2, 2, seed=0, truncation=0.0)


def test_a_walk_starts_and_ends_at_its_points_along_the_sphere() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, 100, generator=g), torch.randn(3, 100, generator=g)
    walk = latent_walk(a, b, 5).reshape(3, 5, 100)
    assert torch.allclose(walk[:, 0], a, atol=1e-5) and torch.allclose(walk[:, -1], b, atol=1e-5)
    middle = slerp(a, b, torch.tensor([0.5]))[:, 0]
    assert float(middle.norm(dim=1).min()) > 0.9 * float(((a + b) / 2).norm(dim=1).max())  # no dip towards the origin
    with pytest.raises(ValueError):
        latent_walk(a, b, 1)
