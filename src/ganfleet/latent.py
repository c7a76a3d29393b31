"""The generators' noise: seeded draws, truncated draws (the truncation trick) and walks between two points.

draw_noise(n, 100, seed)                  N(0, I), the same for a seed whatever the batching
draw_noise(n, 100, seed, truncation=1.0)  each value redrawn until |z| <= 1 (BigGAN's truncation trick)
latent_walk(a, b, 8)                      8 points from a to b along the great circle (slerp)
"""

from __future__ import annotations

import torch

MAX_REDRAWS = 1000


def draw_noise(n: int, dim: int, seed: int, truncation: float | None = None) -> torch.Tensor:
    """(n, dim) standard normal noise from `seed`; with `truncation` t > 0 every value outside [-t, t] is redrawn.

    Truncation trades variety for fidelity (Brock et al., BigGAN, 2019): the
    smaller t, the closer samples stay to the generator's most typical output.
    """
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, dim, generator=g)
    if truncation is None:
        return z
    if truncation <= 0:
        raise ValueError(f"truncation must be > 0, got {truncation}")
    for _ in range(MAX_REDRAWS):
        outside = z.abs() > truncation
        if not outside.any():
            return z
        z[outside] = torch.randn(int(outside.sum()), generator=g)
    return z.clamp(-truncation, truncation)  # only for a t so small that redraws almost never land inside


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows `a` and `b` (N, D) at fractions `t` (T,): (N, T, D).

    Gaussian noise lives near a sphere, so a straight line between two points
    passes through unlikely, short vectors; the great circle does not (White 2016).
    """
    an, bn = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    omega = torch.acos((an * bn).sum(dim=1).clamp(-1 + 1e-7, 1 - 1e-7))[:, None]  # (N, 1)
    t = t[None, :]
    wa = torch.sin((1 - t) * omega) / torch.sin(omega)
    wb = torch.sin(t * omega) / torch.sin(omega)
    return wa[..., None] * a[:, None, :] + wb[..., None] * b[:, None, :]


def latent_walk(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """`steps` points from each row of `a` to the same row of `b`, ends included: (N * steps, D), walk by walk."""
    if steps < 2:
        raise ValueError(f"a walk needs at least 2 steps, got {steps}")
    return slerp(a, b, torch.linspace(0, 1, steps)).reshape(-1, a.shape[1])
