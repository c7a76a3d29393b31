"""The DC-GAN generator and discriminator of Lupo Pasini et al.,
"Scalable balanced training of conditional GANs" (Tables 1-4).

Layer for layer as the tables and the reference code they come from:

Generator: Linear(latent [+ K one-hot] -> 128*s*s), s = image/4; reshape;
BatchNorm(eps 1e-5); Upsample x2; Conv3x3(128->128); BatchNorm(eps); LeakyReLU(0.2);
Upsample x2; Conv3x3(128->64); BatchNorm(eps); LeakyReLU(0.2); Conv3x3(64->C); Tanh.
There is no activation after the Linear: the tables print ReLU (or LeakyReLU) there,
the published code has none.

Discriminator: four blocks Conv3x3 stride 2 (C->16->32->64->128), each LeakyReLU(0.2)
and Dropout2d(0.25) (channel dropout, as the reference code; the tables print
"Dropout"; computed by `ChannelDropout`, the same function with an explicit mask
draw, see models/dropout.py), then BatchNorm(eps) on all but the first; Linear(128*(image/16)^2 -> 1).
`norm` replaces those BatchNorms (see `critic_norm`): a Wasserstein critic needs
per-sample normalisation or none.
K networks of either kind pack into one module (`Generator.pack`,
`Discriminator.pack`; see models/packed.py).
The module returns logits: the paper's Sigmoid is folded into the losses
(binary cross-entropy on logits), which is the same function, computed stably.

`bn_eps` is 0.8 for arch `paper` (the reference code passes 0.8 as BatchNorm's
second positional argument, which is eps, not momentum) and 1e-5 for `dcgan`.
`width` scales every channel count (1.0 is the paper).

Conditioning (strategy `cgan`, see `conditioning.py`): the generator
concatenates the one-hot label to the noise (input 110 = 100 + 10 as Table 3);
the discriminator is a projection discriminator on its flattened features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, cast

import torch
import torch.nn as nn

from ganfleet.models.conditioning import ProjectionCritic, with_one_hot
from ganfleet.models.dropout import ChannelDropout
from ganfleet.models.packed import PackedModule
from ganfleet.models.packed_layers import from_channels, to_channels


def scaled(channels: int, width: float) -> int:
    """Channel count scaled by the width multiplier (at least 1)."""
    return max(1, round(channels * width))


class Generator(nn.Module):
    """DC-GAN generator: noise (and optionally a label) -> image in [-1, 1]."""

    convolutional: ClassVar[bool] = True

    def __init__(
        self,
        image_size: int,
        channels: int,
        latent_dim: int = 100,
        width: float = 1.0,
        bn_eps: float = 1e-5,
        n_classes: int = 0,
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4, got {image_size}")
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.init_size = image_size // 4
        c1, c2 = scaled(128, width), scaled(64, width)
        self.c1 = c1
        self.first_map = (c1, self.init_size, self.init_size)  # what the Linear's output is viewed as
        self.project = nn.Linear(latent_dim + n_classes, c1 * self.init_size**2)
        self.blocks = nn.Sequential(
            nn.BatchNorm2d(c1),  # eps 1e-5 here in both presets, as Table 1
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c1, c1, 3, stride=1, padding=1),
            nn.BatchNorm2d(c1, eps=bn_eps),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c1, c2, 3, stride=1, padding=1),
            nn.BatchNorm2d(c2, eps=bn_eps),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c2, channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(with_one_hot(z, labels, self.n_classes)).view(
            z.shape[0], self.c1, self.init_size, self.init_size
        )
        return self.blocks(h)

    @classmethod
    def pack(cls, generators: Sequence[Generator], channels_last: bool) -> PackedConvGenerator:
        return PackedConvGenerator(generators, channels_last)


class PackedConvGenerator(PackedModule):
    """K conv generators (a Linear `project` viewed as `first_map`, then `blocks`) as one module:
    z (K, N, latent) [, labels (K, N)] -> images (K, N, C, H, W). The DC-GAN and SNGAN generators pack as this."""

    project: nn.Module
    blocks: nn.Module

    def __init__(self, generators: Sequence[nn.Module], channels_last: bool = False) -> None:
        super().__init__(generators, channels_last)
        first = generators[0]
        self.latent_dim = cast(int, first.latent_dim)
        self.first_map = cast(tuple[int, int, int], first.first_map)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        k, n = z.shape[:2]
        h = self.project(self.with_labels(z, labels)).view(k, n, *self.first_map)
        return from_channels(self.blocks(to_channels(h, self.channels_last)), self.n_pairs)


DISCRIMINATOR_NORMS = ("batch", "layer", "none")
PAPER_DROPOUT = 0.25  # Table 2: Dropout(0.25) after every discriminator block


def critic_norm(kind: str, channels: int, bn_eps: float) -> nn.Module:
    """The normalisation after discriminator blocks 2-4.

    batch: the paper's BatchNorm. In train mode it fixes each channel's mean
    over the batch and the positions, and the head is linear, so the *batch
    mean* of the logits can move only through the spatial pattern of the last
    (2x2 at 32 px) feature map: cross-entropy does not need it (it scores
    samples against each other), but it is all a Wasserstein critic's
    E C(fake) - E C(real) on separate real and fake batches has to work with,
    and the gradient penalty is no longer a per-sample quantity. layer:
    LayerNorm over (C, H, W) per sample (GroupNorm with one group, per-channel
    affine), WGAN-GP's choice for critics. none: no normalisation.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels, eps=bn_eps)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown discriminator norm {kind!r}; expected one of {', '.join(DISCRIMINATOR_NORMS)}")


class Discriminator(ProjectionCritic):
    """DC-GAN discriminator: image (and optionally a label) -> one logit per image."""

    convolutional: ClassVar[bool] = True

    def __init__(
        self,
        image_size: int,
        channels: int,
        width: float = 1.0,
        bn_eps: float = 1e-5,
        n_classes: int = 0,
        dropout: float = PAPER_DROPOUT,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        if image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16, got {image_size}")
        widths = [channels] + [scaled(c, width) for c in (16, 32, 64, 128)]
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            if dropout:
                layers.append(ChannelDropout(dropout))
            if i > 0:
                layers.append(critic_norm(norm, widths[i + 1], bn_eps))
        self.blocks = nn.Sequential(*layers)
        self.set_head(widths[-1] * (image_size // 16) ** 2, n_classes)

    @classmethod
    def pack(cls, discriminators: Sequence[Discriminator], channels_last: bool) -> PackedConvDiscriminator:
        return PackedConvDiscriminator(discriminators, channels_last)


class PackedConvDiscriminator(PackedModule):
    """K conv discriminators (`blocks`, then a linear `head` and the projection `embed`) as one module:
    images (K, N, C, H, W) [, labels (K, N)] -> logits (K, N). The DC-GAN and SNGAN discriminators pack as this."""

    blocks: nn.Module
    head: nn.Module

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = from_channels(self.blocks(to_channels(x, self.channels_last)), self.n_pairs).flatten(2)
        return self.project_labels(self.head(h).squeeze(-1), h, labels)


def init_reference_weights(module: nn.Module) -> None:
    """The reference code's init: conv weights N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)
