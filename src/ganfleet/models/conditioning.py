"""How labels enter the networks, shared by the conv nets and the MLPs.

Generator: the one-hot label is concatenated to the noise (the paper's DC-CGAN,
Table 3: 100 + 10 = 110 inputs). Discriminator: projection (Miyato & Koyama,
2018): logit = linear(h) + <embed(y), h> on the final features h, so the
conditional discriminator keeps the unconditional one's layers.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def with_one_hot(z: torch.Tensor, labels: torch.Tensor | None, n_classes: int) -> torch.Tensor:
    """Noise with the one-hot label appended (unchanged for an unconditional generator)."""
    if not n_classes:
        return z
    if labels is None:
        raise ValueError("this generator is conditional: pass labels")
    return torch.cat([z, F.one_hot(labels, n_classes).to(z.dtype)], dim=1)


class ProjectionCritic(nn.Module):
    """A conv discriminator's end: its trunk `blocks` (set by the subclass),
    then `set_head`'s linear `head` and projection `embed`.

    Subclasses build `blocks` and call `set_head`; the packed counterpart
    (`dcgan.PackedConvDiscriminator`) reads these three names.
    """

    blocks: nn.Module

    def set_head(self, n_features: int, n_classes: int) -> None:
        self.n_features = n_features
        self.head = nn.Linear(n_features, 1)
        self.n_classes = n_classes
        self.embed = nn.Embedding(n_classes, n_features) if n_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return projection_logit(self.blocks(x).flatten(1), self.head, self.embed, labels)


def projection_logit(
    h: torch.Tensor, head: nn.Linear, embed: nn.Embedding | None, labels: torch.Tensor | None
) -> torch.Tensor:
    """linear(h) (+ <embed(y), h> for a conditional discriminator), one logit per row."""
    out = head(h).squeeze(1)
    if embed is None:
        return out
    if labels is None:
        raise ValueError("this discriminator is conditional: pass labels")
    return out + (embed(labels) * h).sum(dim=1)
