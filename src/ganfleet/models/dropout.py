"""Channel dropout whose masks can come from a chosen random stream.

`ChannelDropout` is `nn.Dropout2d` (whole channels zeroed with probability p,
survivors scaled by 1 / (1 - p), one Bernoulli draw per sample and channel)
computed by our own code, so that the mask draw is explicit: the single-pair
discriminator draws from torch's global RNG exactly as `nn.Dropout2d` does,
and a packed discriminator draws pair k's masks with the same function from
pair k's own generator. Both paths therefore draw the same masks from the same
seeds on any device, without relying on how torch implements Dropout2d.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def channel_dropout_mask(
    like: torch.Tensor, channels: int, p: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Scaled keep-mask of shape (N, channels, 1, 1) for a (N, ·, H, W) input `like`.

    The draw is `bernoulli_(1 - p)` on a fresh (N, channels, 1, 1) tensor,
    then `div_(1 - p)`: the same operations, in the same order, as torch's
    feature dropout, so with the same RNG state it gives the same mask.
    """
    shape = (like.shape[0], channels) + (1,) * (like.ndim - 2)
    return like.new_empty(shape).bernoulli_(1.0 - p, generator=generator).div_(1.0 - p)


class ChannelDropout(nn.Dropout2d):
    """`nn.Dropout2d` for (N, C, H, W) inputs with the mask drawn by `channel_dropout_mask`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x.mul_(0.0) if self.inplace else x * 0.0
        mask = channel_dropout_mask(x, x.shape[1], self.p)
        return x.mul_(mask) if self.inplace else x * mask
