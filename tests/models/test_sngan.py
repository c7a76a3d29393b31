"""SNGAN's standard CNN (Miyato et al. 2018, Table 3): layer shapes and parameter counts, conditioning."""

from __future__ import annotations

import torch
import torch.nn as nn

from ganfleet.models import ModelSpec, build_discriminator, build_generator, count_parameters
from ganfleet.models.sngan import SNGANDiscriminator, SNGANGenerator


def conv(cin: int, cout: int, k: int) -> int:
    return cin * cout * k * k + cout


def test_generator_at_the_papers_width() -> None:
    g = SNGANGenerator(32, 3, latent_dim=128)
    bn = lambda c: 2 * c  # noqa: E731
    expected = (
        (128 * 512 * 16 + 512 * 16)
        + bn(512)
        + conv(512, 256, 4)
        + bn(256)
        + conv(256, 128, 4)
        + bn(128)
        + conv(128, 64, 4)
        + bn(64)
        + conv(64, 3, 3)
    )
    assert count_parameters(g) == expected
    x = g(torch.randn(5, 128))
    assert x.shape == (5, 3, 32, 32) and float(x.abs().max()) <= 1.0
    assert [m.out_channels for m in g.modules() if isinstance(m, nn.ConvTranspose2d)] == [256, 128, 64]


def test_discriminator_at_the_papers_width() -> None:
    d = SNGANDiscriminator(32, 3)
    expected = (
        conv(3, 64, 3)
        + conv(64, 64, 4)
        + conv(64, 128, 3)
        + conv(128, 128, 4)
        + conv(128, 256, 3)
        + conv(256, 256, 4)
        + conv(256, 512, 3)
        + (512 * 4 * 4 + 1)
    )
    assert count_parameters(d) == expected
    assert d(torch.randn(5, 3, 32, 32)).shape == (5,)
    assert all(m.negative_slope == 0.1 for m in d.modules() if isinstance(m, nn.LeakyReLU))
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.Dropout2d)) for m in d.modules())


def test_conditional_and_spectral_norm_through_the_spec() -> None:
    spec = ModelSpec("sngan", (1, 32, 32), 100, 0.25, n_classes=10, spectral_norm="discriminator")
    g, d = build_generator(spec), build_discriminator(spec)
    assert spec.d_norm == "none"
    assert g.project.in_features == 110 and d.embed.num_embeddings == 10
    assert sum(hasattr(m, "parametrizations") for m in d.modules()) == 9  # seven convolutions, the head, the embedding
    labels = torch.arange(4)
    assert d(g(torch.randn(4, 100), labels), labels).shape == (4,)
