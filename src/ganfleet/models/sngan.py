"""The standard CNN generator and discriminator of SNGAN (Miyato et al., "Spectral Normalization for GANs", 2018,
Table 3).

Generator: Linear(latent [+ K one-hot] -> 512*s*s), s = image/8, BatchNorm, ReLU;
three ConvTranspose 4x4 stride 2 (512 -> 256 -> 128 -> 64), each BatchNorm and ReLU;
Conv3x3(64 -> C); Tanh. (The table goes from the dense layer straight to the first
deconvolution; the authors' code has BatchNorm and ReLU between, as here.)

Discriminator: Conv3x3 (C -> 64), Conv4x4 stride 2 (64), Conv3x3 (128), Conv4x4
stride 2 (128), Conv3x3 (256), Conv4x4 stride 2 (256), Conv3x3 (512), each
LeakyReLU(0.1), then Linear(512*s*s -> 1); no normalisation layer: it is meant
for spectral norm (`model.spectral_norm`). Conditioning as the DC-GAN nets
(one-hot label in the generator, projection in the discriminator).

`width` scales every channel count (1.0 is the paper's). Compared with the
DC-GAN discriminator of Lupo Pasini et al. (four convolutions of 16-128
channels) this one has about 40 times its multiply-adds, close to its
generator's, so the discriminator is not the weak side of the pair.
K networks of either kind pack into one module (grouped convolutions, see models/packed.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import ClassVar

import torch
import torch.nn as nn

from ganfleet.models.conditioning import ProjectionCritic, with_one_hot
from ganfleet.models.dcgan import PackedConvDiscriminator, PackedConvGenerator, scaled


class SNGANGenerator(nn.Module):
    """Noise (and optionally a label) -> image in [-1, 1] through three transposed convolutions."""

    convolutional: ClassVar[bool] = True

    def __init__(
        self, image_size: int, channels: int, latent_dim: int = 128, width: float = 1.0, n_classes: int = 0
    ) -> None:
        super().__init__()
        if image_size % 8:
            raise ValueError(f"image_size must be a multiple of 8, got {image_size}")
        self.latent_dim, self.n_classes = latent_dim, n_classes
        c = [scaled(n, width) for n in (512, 256, 128, 64)]
        self.first_map = (c[0], image_size // 8, image_size // 8)
        self.project = nn.Linear(latent_dim + n_classes, c[0] * (image_size // 8) ** 2)
        layers: list[nn.Module] = [nn.BatchNorm2d(c[0]), nn.ReLU()]
        for c_in, c_out in itertools.pairwise(c):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.Conv2d(c[-1], channels, 3, stride=1, padding=1), nn.Tanh()]
        self.blocks = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(with_one_hot(z, labels, self.n_classes)).view(z.shape[0], *self.first_map)
        return self.blocks(h)

    @classmethod
    def pack(cls, generators: Sequence[SNGANGenerator], channels_last: bool) -> PackedConvGenerator:
        return PackedConvGenerator(generators, channels_last)


class SNGANDiscriminator(ProjectionCritic):
    """Image (and optionally a label) -> one score, through seven convolutions and a linear head."""

    convolutional: ClassVar[bool] = True

    def __init__(self, image_size: int, channels: int, width: float = 1.0, n_classes: int = 0) -> None:
        super().__init__()
        if image_size % 8:
            raise ValueError(f"image_size must be a multiple of 8, got {image_size}")
        c = [scaled(n, width) for n in (64, 128, 256, 512)]
        layers: list[nn.Module] = []
        c_in = channels
        for i, c_out in enumerate(c):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=1, padding=1), nn.LeakyReLU(0.1)]
            if i < 3:
                layers += [nn.Conv2d(c_out, c_out, 4, stride=2, padding=1), nn.LeakyReLU(0.1)]
            c_in = c_out
        self.blocks = nn.Sequential(*layers)
        self.set_head(c[-1] * (image_size // 8) ** 2, n_classes)

    @classmethod
    def pack(cls, discriminators: Sequence[SNGANDiscriminator], channels_last: bool) -> PackedConvDiscriminator:
        return PackedConvDiscriminator(discriminators, channels_last)
