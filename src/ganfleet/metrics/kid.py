"""Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel, over random subsets.

    k(x, y) = (x.y / D + 1)^3

The MMD^2 of one subset pair is torchmetrics' `poly_mmd` (the reference
formula of Binkowski et al.); what we add is float64 and a seeded choice of
subsets, so a KID is reproducible. Mean and population std over subsets, as
the original code and torchmetrics report them.
"""

from __future__ import annotations

import torch


def kernel_inception_distance(real: torch.Tensor, fake: torch.Tensor, subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float]:
    """(mean, std) of the unbiased polynomial-kernel MMD^2 over `subsets` random subset pairs.

    Subsets of min(subset_size, N_real, N_fake) samples are drawn without
    replacement, a fresh permutation of each set per subset (torchmetrics'
    scheme: with the same seed it picks the same subsets).
    """
    from torchmetrics.image.kid import poly_mmd  # imported here: torchmetrics takes seconds to import

    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(real)} real and {len(fake)} fake")
    real, fake = real.to(torch.float64), fake.to(torch.float64)
    g = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        r = real[torch.randperm(len(real), generator=g)[:size]]
        f = fake[torch.randperm(len(fake), generator=g)[:size]]
        values.append(poly_mmd(r, f))
    scores = torch.stack(values)
    return float(scores.mean()), float(scores.std(correction=0))
