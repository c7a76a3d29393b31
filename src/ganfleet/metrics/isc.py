"""Inception Score from class logits, as the original code computes it.

    IS = exp(E_x KL(p(y|x) || p(y)))

over `splits` equal parts of the samples; the mean and the *population*
standard deviation (numpy's default `np.std`, which the original TensorFlow
code used) of the per-split scores are reported. torchmetrics'
`InceptionScore` reports the sample (n - 1) standard deviation instead, so its
std is sqrt(splits / (splits - 1)) times ours. The samples are put in a seeded
random order first, so samples grouped by class (as a conditional evaluation
draws them) do not make single-class splits.
"""

from __future__ import annotations

import torch


def inception_score(logits: torch.Tensor, splits: int = 10, seed: int = 0) -> tuple[float, float]:
    """(mean, population std) of the IS over `splits` parts of (N, K) logits, in float64."""
    if logits.ndim != 2 or len(logits) < splits:
        raise ValueError(
            f"inception_score needs (N, K) logits with N >= splits={splits}, got shape {tuple(logits.shape)}"
        )
    order = torch.randperm(len(logits), generator=torch.Generator().manual_seed(seed))
    log_p = logits.to(torch.float64)[order].log_softmax(dim=1)
    scores = []
    for part in log_p.chunk(splits):
        log_marginal = part.exp().mean(dim=0).log()
        kl = (part.exp() * (part - log_marginal)).sum(dim=1).mean()
        scores.append(kl.exp())
    values = torch.stack(scores)
    return float(values.mean()), float(values.std(correction=0))
