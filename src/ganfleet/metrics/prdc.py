"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) on k-NN manifolds.

A set's manifold is the union of balls around its points, each with radius
the distance to the point's k-th nearest neighbour in the same set (itself
excluded). With real features X (N) and generated features Y (M):

- precision: share of Y inside the real manifold (k = 3): fidelity;
- recall: share of X inside the generated manifold (k = 3): diversity;
- density: (1 / kM) * sum over Y of the number of real balls (k = 5) containing it
  (1 on average when Y is distributed like X; above 1 when samples crowd into dense regions);
- coverage: share of real balls (k = 5) that contain at least one Y.

Balls are closed (`<=`), so identical sets give precision = recall = 1 even
with duplicate points. Distances are `torch.cdist` in float64 over row chunks,
so no N x M matrix is ever held: 10k x 10k needs ~80 MB at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

CHUNK_ROWS = 1024


@dataclass(frozen=True)
class PRDC:
    precision: float
    recall: float
    density: float
    coverage: float


def knn_radii(x: torch.Tensor, ks: tuple[int, ...], chunk: int = CHUNK_ROWS) -> dict[int, torch.Tensor]:
    """Distance of each row of x to its k-th nearest other row (N,), for each k in `ks` (one pass)."""
    k_max = max(ks)
    if len(x) <= k_max:
        raise ValueError(f"k-NN radii with k={k_max} need more than {k_max} points, got {len(x)}")
    out = {k: torch.empty(len(x), dtype=x.dtype) for k in ks}
    for start in range(0, len(x), chunk):
        # the (k+1)-th smallest counts the point itself (distance 0) once, whatever duplicates exist
        nearest = torch.cdist(x[start : start + chunk], x).topk(k_max + 1, dim=1, largest=False).values
        for k in ks:
            out[k][start : start + chunk] = nearest[:, k]
    return out


def prdc(real: torch.Tensor, fake: torch.Tensor, k_pr: int = 3, k_dc: int = 5, chunk: int = CHUNK_ROWS) -> PRDC:
    """Precision, recall (k_pr-NN balls) and density, coverage (k_dc-NN balls) of (N, D) and (M, D) features."""
    real, fake = real.to(torch.float64), fake.to(torch.float64)
    radii_real = knn_radii(real, (k_pr, k_dc), chunk)
    radius_real_pr, radius_real_dc = radii_real[k_pr], radii_real[k_dc]
    radius_fake_pr = knn_radii(fake, (k_pr,), chunk)[k_pr]
    fake_inside = torch.zeros(len(fake), dtype=torch.bool)
    real_inside = torch.zeros(len(real), dtype=torch.bool)
    real_covered = torch.zeros(len(real), dtype=torch.bool)
    density_count = 0
    for start in range(0, len(fake), chunk):
        d = torch.cdist(fake[start : start + chunk], real)  # (m, N)
        fake_inside[start : start + chunk] = (d <= radius_real_pr).any(dim=1)
        real_inside |= (d <= radius_fake_pr[start : start + chunk, None]).any(dim=0)
        in_dc = d <= radius_real_dc
        density_count += int(in_dc.sum())
        real_covered |= in_dc.any(dim=0)
    return PRDC(
        precision=float(fake_inside.double().mean()),
        recall=float(real_inside.double().mean()),
        density=density_count / (k_dc * len(fake)),
        coverage=float(real_covered.double().mean()),
    )
