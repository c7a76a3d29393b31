"""4-layer MLPs for 2-D toy data (Chavdarova & Fleuret, "SGAN", toy experiments, appendix A).

Four fully connected layers of 512 units with LeakyReLU(0.01), noise 100.
Conditioning as the conv nets: one-hot label concatenated to the noise in the
generator, projection in the discriminator. Packs of K run pairs-first,
(K, N, features), through batched matmuls (see models/packed.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
import torch.nn as nn

from ganfleet.models.conditioning import projection_logit, with_one_hot
from ganfleet.models.packed import PackedModule


def _mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.LeakyReLU(0.01),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.01),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.01),
        nn.Linear(hidden, n_out),
    )


class MLPGenerator(nn.Module):
    """Noise (and optionally a label) -> point in R^dim."""

    convolutional: ClassVar[bool] = False

    def __init__(self, dim: int, latent_dim: int = 100, hidden: int = 512, n_classes: int = 0) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.net = _mlp(latent_dim + n_classes, dim, hidden)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(with_one_hot(z, labels, self.n_classes))

    @classmethod
    def pack(cls, generators: Sequence[MLPGenerator], channels_last: bool = False) -> PackedMLPGenerator:
        return PackedMLPGenerator(generators)


class PackedMLPGenerator(PackedModule):
    """K `MLPGenerator`s as one module: z (K, N, latent) [, labels (K, N)] -> points (K, N, dim)."""

    net: nn.Module

    def __init__(self, generators: Sequence[MLPGenerator]) -> None:
        super().__init__(generators, channels_last=False)
        self.latent_dim = generators[0].latent_dim

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.with_labels(z, labels))


class MLPDiscriminator(nn.Module):
    """Point (and optionally a label) -> one logit."""

    convolutional: ClassVar[bool] = False

    def __init__(self, dim: int, hidden: int = 512, n_classes: int = 0) -> None:
        super().__init__()
        self.trunk = _mlp(dim, hidden, hidden)[:-1]  # three hidden layers, activations kept
        self.head = nn.Linear(hidden, 1)
        self.n_classes = n_classes
        self.embed = nn.Embedding(n_classes, hidden) if n_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return projection_logit(self.trunk(x), self.head, self.embed, labels)

    @classmethod
    def pack(cls, discriminators: Sequence[MLPDiscriminator], channels_last: bool = False) -> PackedMLPDiscriminator:
        return PackedMLPDiscriminator(discriminators)


class PackedMLPDiscriminator(PackedModule):
    """K `MLPDiscriminator`s as one module: points (K, N, dim) [, labels (K, N)] -> logits (K, N)."""

    trunk: nn.Module
    head: nn.Module

    def __init__(self, discriminators: Sequence[MLPDiscriminator]) -> None:
        super().__init__(discriminators, channels_last=False)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.trunk(x)
        return self.project_labels(self.head(h).squeeze(-1), h, labels)
