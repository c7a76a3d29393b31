"""Generator EMA: an exponential moving average of a generator's weights, the generator a fleet samples from.

As StyleGAN2-ADA (Karras et al., 2020): after every generator update the
average moves towards the weights with

    beta = 0.5 ** (batch / half_life),   half_life = min(kimg * 1000, rampup * images so far)

so that after `kimg` thousand images the old average counts half; the ramp-up
keeps the half-life short early on, while the generator is still far from its
final weights. Buffers (BatchNorm running statistics) are copied, not averaged.
The average of pair k in a pack is updated elementwise exactly as alone.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass(frozen=True)
class EmaRule:
    """The half-life of the average in thousands of images, and its ramp-up (None: none)."""

    kimg: float
    rampup: float | None = 0.05

    def beta(self, images_so_far: int, batch_size: int) -> float:
        half_life = self.kimg * 1000
        if self.rampup is not None:
            half_life = min(half_life, images_so_far * self.rampup)
        return 0.5 ** (batch_size / max(half_life, 1e-8))


def ema_copy(generator: nn.Module) -> nn.Module:
    """A frozen copy of `generator` to hold its average (equal to it at the start)."""
    ema = copy.deepcopy(generator)
    ema.requires_grad_(False)
    return ema


@torch.no_grad()
def update_ema(ema: nn.Module, generator: nn.Module, beta: float) -> None:
    """ema <- beta * ema + (1 - beta) * generator for parameters; buffers copied."""
    for average, current in zip(ema.parameters(), generator.parameters(), strict=True):
        average.copy_(current.detach().lerp(average, beta))
    for kept, buffer in zip(ema.buffers(), generator.buffers(), strict=True):
        kept.copy_(buffer)
