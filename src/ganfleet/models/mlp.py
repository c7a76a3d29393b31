"""4-layer MLPs for 2-D toy data (SPEC 2c, the SGAN paper's toy experiments).

Four fully connected layers of 512 units with LeakyReLU(0.01), noise 100.
Conditioning as the conv nets: one-hot label concatenated to the noise in the
generator, projection in the discriminator.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ganfleet.models.conditioning import projection_logit, with_one_hot


def _mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.LeakyReLU(0.01),
        nn.Linear(hidden, hidden), nn.LeakyReLU(0.01),
        nn.Linear(hidden, hidden), nn.LeakyReLU(0.01),
        nn.Linear(hidden, n_out),
    )


class MLPGenerator(nn.Module):
    """Noise (and optionally a label) -> point in R^dim."""

    def __init__(self, dim: int, latent_dim: int = 100, hidden: int = 512, n_classes: int = 0) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.net = _mlp(latent_dim + n_classes, dim, hidden)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(with_one_hot(z, labels, self.n_classes))


class MLPDiscriminator(nn.Module):
    """Point (and optionally a label) -> one logit."""

    def __init__(self, dim: int, hidden: int = 512, n_classes: int = 0) -> None:
        super().__init__()
        self.trunk = _mlp(dim, hidden, hidden)[:-1]  # three hidden layers, activations kept
        self.head = nn.Linear(hidden, 1)
        self.n_classes = n_classes
        self.embed = nn.Embedding(n_classes, hidden) if n_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return projection_logit(self.trunk(x), self.head, self.embed, labels)
