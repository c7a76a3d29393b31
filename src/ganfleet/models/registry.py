"""Architectures by name, and the `ModelSpec` that rebuilds a pair's networks from a run's manifest.

The spec is stored in every run's manifest, so a fleet can be rebuilt from its
directory alone (no pickled code). `ARCHITECTURES` is the one list of valid
`model.arch` names; an architecture says how to build its two networks, which
discriminator normalisations it offers (its own first) and what samples it
makes (square images or points).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from ganfleet.errors import ConfigError
from ganfleet.models.dcgan import (
    DISCRIMINATOR_NORMS,
    PAPER_DROPOUT,
    Discriminator,
    Generator,
    init_reference_weights,
    scaled,
)
from ganfleet.models.mlp import MLPDiscriminator, MLPGenerator
from ganfleet.models.sngan import SNGANDiscriminator, SNGANGenerator
from ganfleet.models.spectral import apply_spectral_norm

MLP_HIDDEN = 512  # the SGAN paper's toy MLPs (appendix A.1)
SPECTRAL_NORM_CHOICES = ("none", "discriminator", "both")
# Sizes no config or manifest may exceed: far above any useful network, low enough that nothing tries to
# allocate terabytes (a width of 1000 asked for 590 GB, an image side of 2**20 for 24 TB).
MAX_WIDTH = 64.0
MAX_LATENT = 65_536
MAX_SIDE = 4096


def check_sizes(width: float, latent_dim: int, sample_shape: tuple[int, ...] = (), where: str = "model.width") -> None:
    """ConfigError unless 0 < width <= MAX_WIDTH, 0 < latent_dim <= MAX_LATENT and every side is 1..MAX_SIDE."""
    if not 0 < width <= MAX_WIDTH:
        raise ConfigError(f"{where}: expected a multiplier in (0, {MAX_WIDTH:g}], got {width!r}")
    if not 0 < latent_dim <= MAX_LATENT:
        raise ConfigError(f"model.latent_dim: expected 1..{MAX_LATENT}, got {latent_dim!r}")
    if not all(0 < side <= MAX_SIDE for side in sample_shape):
        raise ConfigError(f"model: sample shape {tuple(sample_shape)} has a side outside 1..{MAX_SIDE}")


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of one pair: `arch` (a key of ARCHITECTURES), sample shape, noise size, width, classes.

    `n_classes` is 0 for an unconditional pair and K for a pair conditioned on K labels.
    `width` scales the conv nets' channels and the MLPs' 512 hidden units.
    `d_norm` is the discriminator's normalisation (one of the architecture's
    `d_norms`, see `dcgan.critic_norm`); None means the architecture's own.
    `spectral_norm` is none, discriminator or both (`models/spectral.py`);
    `d_dropout` the conv discriminator's channel dropout (the paper's 0.25);
    `d_width_factor` the discriminator's width as a multiple of `width`.
    """

    arch: str
    sample_shape: tuple[int, ...]
    latent_dim: int = 100
    width: float = 1.0
    n_classes: int = 0
    d_norm: str | None = None
    spectral_norm: str = "none"
    d_dropout: float = PAPER_DROPOUT
    d_width_factor: float = 1.0

    def __post_init__(self) -> None:
        check_sizes(self.width, self.latent_dim, self.sample_shape)
        check_sizes(self.discriminator_width, self.latent_dim, where="model.d_width_factor")
        architecture = get_architecture(self.arch)
        if self.d_norm is None:
            object.__setattr__(self, "d_norm", architecture.d_norms[0])  # frozen: resolve once, here
        if self.d_norm not in architecture.d_norms:
            raise ConfigError(
                f"model.d_norm: {self.d_norm!r} does not fit arch {self.arch}; "
                f"expected one of {', '.join(architecture.d_norms)}"
            )
        architecture.check_shape(self.sample_shape)
        if self.spectral_norm not in SPECTRAL_NORM_CHOICES:
            raise ConfigError(
                f"model.spectral_norm: unknown value {self.spectral_norm!r}; "
                f"expected one of {', '.join(SPECTRAL_NORM_CHOICES)}"
            )

    def conditional(self, n_classes: int) -> ModelSpec:
        """The same architecture conditioned on `n_classes` labels."""
        return dataclasses.replace(self, n_classes=n_classes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sample_shape"] = list(self.sample_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        # Manifests written before d_norm, spectral_norm or d_dropout existed get what was built then.
        return cls(
            d["arch"],
            tuple(d["sample_shape"]),
            d["latent_dim"],
            d["width"],
            d["n_classes"],
            d.get("d_norm"),
            d.get("spectral_norm", "none"),
            d.get("d_dropout", PAPER_DROPOUT),
            d.get("d_width_factor", 1.0),
        )

    @property
    def discriminator_width(self) -> float:
        return self.width * self.d_width_factor


def _check_points(shape: tuple[int, ...]) -> None:
    if len(shape) != 1:
        raise ConfigError(f"model.arch: mlp needs points of shape (D,), got {shape}")


def _check_square_images(shape: tuple[int, ...]) -> None:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ConfigError(f"model.arch: the conv nets need square images (C, H, W), got {shape}")
    # At 16 px the discriminator's last feature map is 1x1, so its final
    # BatchNorm fixes the batch mean of every feature and hence of the
    # logit: real and fake batches get the same mean score and the
    # discriminator barely learns. From 32 px on (2x2 and up) it works.
    if shape[1] < 32 or shape[1] % 16:
        raise ConfigError(
            "model.arch: the conv nets need an image side that is a multiple of 16 and at least 32, "
            f"got {shape[1]} (set data.image_size)"
        )


def _conv_generator(bn_eps: float) -> Callable[[ModelSpec], nn.Module]:
    def build(spec: ModelSpec) -> nn.Module:
        c, size, _ = spec.sample_shape
        g = Generator(size, c, spec.latent_dim, spec.width, bn_eps, spec.n_classes)
        init_reference_weights(g)
        return g

    return build


def _conv_discriminator(bn_eps: float) -> Callable[[ModelSpec], nn.Module]:
    def build(spec: ModelSpec) -> nn.Module:
        c, size, _ = spec.sample_shape
        d = Discriminator(
            size,
            c,
            spec.discriminator_width,
            bn_eps,
            spec.n_classes,
            dropout=spec.d_dropout,
            norm=spec.d_norm or "batch",
        )
        init_reference_weights(d)
        return d

    return build


def _sngan_generator(spec: ModelSpec) -> nn.Module:
    c, size, _ = spec.sample_shape
    return SNGANGenerator(size, c, spec.latent_dim, spec.width, spec.n_classes)


def _sngan_discriminator(spec: ModelSpec) -> nn.Module:
    c, size, _ = spec.sample_shape
    return SNGANDiscriminator(size, c, spec.discriminator_width, spec.n_classes)


def _mlp_generator(spec: ModelSpec) -> nn.Module:
    return MLPGenerator(spec.sample_shape[0], spec.latent_dim, scaled(MLP_HIDDEN, spec.width), spec.n_classes)


def _mlp_discriminator(spec: ModelSpec) -> nn.Module:
    return MLPDiscriminator(spec.sample_shape[0], scaled(MLP_HIDDEN, spec.discriminator_width), spec.n_classes)


@dataclass(frozen=True)
class Architecture:
    """How one named architecture builds its generator and discriminator."""

    name: str
    description: str
    build_generator: Callable[[ModelSpec], nn.Module]
    build_discriminator: Callable[[ModelSpec], nn.Module]
    check_shape: Callable[[tuple[int, ...]], None]
    d_norms: tuple[str, ...]  # the discriminator normalisations it offers; its own first
    points: bool = False  # samples are points (D,), not images


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in [
        Architecture(
            "paper",
            "the paper's tables, BatchNorm eps 0.8 as its reference code",
            _conv_generator(0.8),
            _conv_discriminator(0.8),
            _check_square_images,
            DISCRIMINATOR_NORMS,
        ),
        Architecture(
            "dcgan",
            "the paper's tables with standard BatchNorm (eps 1e-5)",
            _conv_generator(1e-5),
            _conv_discriminator(1e-5),
            _check_square_images,
            DISCRIMINATOR_NORMS,
        ),
        Architecture(
            "sngan",
            "SNGAN's standard CNN (Miyato et al. 2018): transposed-convolution generator, 7-convolution "
            "discriminator without normalisation layers (for spectral norm)",
            _sngan_generator,
            _sngan_discriminator,
            _check_square_images,
            ("none",),
        ),
        Architecture(
            "mlp",
            "4-layer MLPs for 2-D toy points (SGAN)",
            _mlp_generator,
            _mlp_discriminator,
            _check_points,
            ("none",),
            points=True,
        ),
    ]
}


def get_architecture(name: str) -> Architecture:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ConfigError(
            f"model.arch: unknown architecture {name!r}; expected one of {', '.join(ARCHITECTURES)}"
        ) from None


def default_architecture(points: bool) -> str:
    """What `model.arch: auto` builds: the first architecture for points or for images."""
    return next(a.name for a in ARCHITECTURES.values() if a.points == points)


def build_generator(spec: ModelSpec) -> nn.Module:
    g = get_architecture(spec.arch).build_generator(spec)
    return apply_spectral_norm(g) if spec.spectral_norm == "both" else g


def build_discriminator(spec: ModelSpec) -> nn.Module:
    d = get_architecture(spec.arch).build_discriminator(spec)
    return apply_spectral_norm(d) if spec.spectral_norm != "none" else d


def build_pair(spec: ModelSpec, seed: int) -> tuple[nn.Module, nn.Module]:
    """Generator and discriminator initialised from `seed` alone (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_generator(spec), build_discriminator(spec)


def freeze_leading_layers(network: nn.Module, n: int) -> None:
    """Stop training `network`'s first `n` layers (conv or linear, in the order they are registered, each with
    the parameters registered after it up to the next layer, such as a norm): FreezeD's lower discriminator
    layers (`shared.freeze_d`). ConfigError unless at least the last layer stays trained.
    """
    layers = [name for name, m in network.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if n > len(layers) - 1:
        raise ConfigError(
            f"shared.freeze_d: {n} of the discriminator's {len(layers)} layers would leave none to train; "
            f"expected at most {len(layers) - 1}"
        )
    if not n:
        return
    named = list(network.named_parameters())
    end = next(i for i, (name, _) in enumerate(named) if name.startswith(layers[n] + "."))
    for _, parameter in named[:end]:
        parameter.requires_grad_(False)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
