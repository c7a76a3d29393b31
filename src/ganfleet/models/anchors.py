"""The running averages of a discriminator's mean scores on real and on generated images (LeCam's anchors).

LeCam regularisation (Tseng et al., "Regularizing GANs under limited data",
2021) pulls the discriminator's scores towards these averages; they are
state of the discriminator, so they live in it as a child module: saved in
its checkpoints, copied with it (SGAN's messengers), and packed with it
(K pairs' anchors stacked as (K, 2)). The discriminator's forward never reads them.
"""

from __future__ import annotations

import torch
import torch.nn as nn


class ScoreAnchors(nn.Module):
    """`ema` = (average real score, average fake score), (2,) for one pair, (K, 2) for a pack of K."""

    ema: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, n_pairs: int | None = None) -> None:
        super().__init__()
        self.register_buffer("ema", torch.zeros(2) if n_pairs is None else torch.zeros(n_pairs, 2))

    @torch.no_grad()
    def update(self, real_mean: torch.Tensor, fake_mean: torch.Tensor, decay: float) -> None:
        """ema <- decay * ema + (1 - decay) * (real_mean, fake_mean) (scalars, or (K,) for a pack)."""
        self.ema.lerp_(torch.stack([real_mean, fake_mean], dim=-1).to(self.ema.dtype), 1.0 - decay)

    def extra_repr(self) -> str:
        return f"shape={tuple(self.ema.shape)}"
