"""Model construction from a `ModelSpec`: everything needed to rebuild a pair's networks.

The spec is stored in every run's manifest, so a fleet can be rebuilt from its
directory alone (no pickled code).
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from ganfleet.errors import ConfigError
from ganfleet.models.dcgan import DISCRIMINATOR_NORMS, Discriminator, Generator, init_reference_weights, scaled
from ganfleet.models.mlp import MLPDiscriminator, MLPGenerator

BN_EPS = {"paper": 0.8, "dcgan": 1e-5}
MLP_HIDDEN = 512  # the SGAN paper's toy MLPs (appendix A.1)


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of one pair: `arch` (paper, dcgan, mlp), sample shape, noise size, width, classes.

    `n_classes` is 0 for an unconditional pair and K for a pair conditioned on K labels.
    `width` scales the conv nets' channels and the MLPs' 512 hidden units.
    `d_norm` is the conv discriminator's normalisation (batch, layer, none; see
    `dcgan.critic_norm`); None means the architecture's own: batch for the conv
    nets (the paper's), none for the MLPs (which have no normalisation).
    """

    arch: str
    sample_shape: tuple[int, ...]
    latent_dim: int = 100
    width: float = 1.0
    n_classes: int = 0
    d_norm: str | None = None

    def __post_init__(self) -> None:
        if self.arch not in ("paper", "dcgan", "mlp"):
            raise ConfigError(f"model.arch: unknown architecture {self.arch!r}; expected paper, dcgan or mlp")
        if self.arch == "mlp" and len(self.sample_shape) != 1:
            raise ConfigError(f"model.arch: mlp needs points of shape (D,), got {self.sample_shape}")
        allowed_norms = ("none",) if self.arch == "mlp" else DISCRIMINATOR_NORMS
        if self.d_norm is None:
            object.__setattr__(self, "d_norm", allowed_norms[0])  # frozen: resolve once, here
        if self.d_norm not in allowed_norms:
            raise ConfigError(f"model.d_norm: {self.d_norm!r} does not fit arch {self.arch}; expected one of {', '.join(allowed_norms)}")
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
        return dataclasses.replace(self, n_classes=n_classes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sample_shape"] = list(self.sample_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        # Manifests written before d_norm existed get the architecture's own (None).
        return cls(d["arch"], tuple(d["sample_shape"]), d["latent_dim"], d["width"], d["n_classes"], d.get("d_norm"))


def build_generator(spec: ModelSpec) -> nn.Module:
    if spec.arch == "mlp":
        return MLPGenerator(spec.sample_shape[0], spec.latent_dim, scaled(MLP_HIDDEN, spec.width), spec.n_classes)
    c, size, _ = spec.sample_shape
    g = Generator(size, c, spec.latent_dim, spec.width, BN_EPS[spec.arch], spec.n_classes)
    init_reference_weights(g)
    return g


def build_discriminator(spec: ModelSpec) -> nn.Module:
    if spec.arch == "mlp":
        return MLPDiscriminator(spec.sample_shape[0], scaled(MLP_HIDDEN, spec.width), spec.n_classes)
    c, size, _ = spec.sample_shape
    d = Discriminator(size, c, spec.width, BN_EPS[spec.arch], spec.n_classes, norm=spec.d_norm)
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
