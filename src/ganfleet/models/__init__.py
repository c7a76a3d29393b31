"""Model construction from a `ModelSpec`: everything needed to rebuild a pair's networks.

The spec is stored in every run's manifest, so a fleet can be rebuilt from its
directory alone (no pickled code).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from ganfleet.errors import ConfigError
from ganfleet.models.dcgan import Discriminator, Generator, init_reference_weights
from ganfleet.models.mlp import MLPDiscriminator, MLPGenerator

BN_EPS = {"paper": 0.8, "dcgan": 1e-5}


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of one pair: `arch` (paper, dcgan, mlp), sample shape, noise size, width, classes.

    `n_classes` is 0 for an unconditional pair and K for a pair conditioned on K labels.
    """

    arch: str
    sample_shape: tuple[int, ...]
    latent_dim: int = 100
    width: float = 1.0
    n_classes: int = 0

    def __post_init__(self) -> None:
        if self.arch not in ("paper", "dcgan", "mlp"):
            raise ConfigError(f"model.arch: unknown architecture {self.arch!r}; expected paper, dcgan or mlp")
        if self.arch == "mlp" and len(self.sample_shape) != 1:
            raise ConfigError(f"model.arch: mlp needs points of shape (D,), got {self.sample_shape}")
        if self.arch != "mlp":
            if len(self.sample_shape) != 3 or self.sample_shape[1] != self.sample_shape[2]:
                raise ConfigError(f"model.arch: {self.arch} needs square images (C, H, W), got {self.sample_shape}")
            # At 16 px the discriminator's last feature map is 1x1, so its final
            # BatchNorm fixes the batch mean of every feature and hence of the
            # logit: real and fake batches get the same mean score and the
            # discriminator barely learns. From 32 px on (2x2 and up) it works.
            if self.sample_shape[1] < 32 or self.sample_shape[1] % 16:
                raise ConfigError(f"model.arch: {self.arch} needs an image side that is a multiple of 16 and at least 32, got {self.sample_shape[1]} (set data.image_size)")

    def conditional(self, n_classes: int) -> ModelSpec:
        """The same architecture conditioned on `n_classes` labels."""
        return ModelSpec(self.arch, self.sample_shape, self.latent_dim, self.width, n_classes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sample_shape"] = list(self.sample_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        return cls(d["arch"], tuple(d["sample_shape"]), d["latent_dim"], d["width"], d["n_classes"])


def build_generator(spec: ModelSpec) -> nn.Module:
    if spec.arch == "mlp":
        return MLPGenerator(spec.sample_shape[0], spec.latent_dim, n_classes=spec.n_classes)
    c, size, _ = spec.sample_shape
    g = Generator(size, c, spec.latent_dim, spec.width, BN_EPS[spec.arch], spec.n_classes)
    init_reference_weights(g)
    return g


def build_discriminator(spec: ModelSpec) -> nn.Module:
    if spec.arch == "mlp":
        return MLPDiscriminator(spec.sample_shape[0], n_classes=spec.n_classes)
    c, size, _ = spec.sample_shape
    d = Discriminator(size, c, spec.width, BN_EPS[spec.arch], spec.n_classes)
    init_reference_weights(d)
    return d


def build_pair(spec: ModelSpec, seed: int) -> tuple[nn.Module, nn.Module]:
    """Generator and discriminator initialised from `seed` alone (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_generator(spec), build_discriminator(spec)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__ = ["ModelSpec", "build_generator", "build_discriminator", "build_pair", "count_parameters", "Generator", "Discriminator", "MLPGenerator", "MLPDiscriminator"]
