"""Spectral normalisation: sigma against the largest singular value, and K packed norms equal K separate ones."""

from __future__ import annotations

import torch
import torch.nn as nn

from ganfleet.models import ModelSpec, build_discriminator, build_generator, pack_networks
from ganfleet.models.spectral import apply_spectral_norm


def test_sigma_is_the_largest_singular_value_once_the_power_iteration_converged() -> None:
    torch.manual_seed(0)
    for layer in (nn.Conv2d(3, 8, 3), nn.ConvTranspose2d(6, 4, 4), nn.Linear(20, 7), nn.Embedding(5, 6)):
        layer = apply_spectral_norm(layer.double())
        for _ in range(100):  # a forward in train mode runs one power iteration
            _ = layer.weight
        weight = layer.parametrizations.weight.original
        matrix = (
            weight.transpose(0, 1) if isinstance(layer, nn.ConvTranspose2d) else weight
        )  # rows: the output channels
        sigma = torch.linalg.matrix_norm(matrix.flatten(1), 2)
        torch.testing.assert_close(
            layer.weight, weight / sigma, rtol=1e-8, atol=0
        )  # the weight torch's parametrization gives the layer is W divided by its largest singular value
        normalised = layer.weight.transpose(0, 1) if isinstance(layer, nn.ConvTranspose2d) else layer.weight
        torch.testing.assert_close(
            torch.linalg.matrix_norm(normalised.flatten(1), 2), torch.ones((), dtype=torch.float64), rtol=1e-8, atol=0
        )  # the normalised weight has spectral norm 1


def test_spectral_norm_on_the_discriminator_or_both_networks() -> None:
    spec = ModelSpec("dcgan", (1, 32, 32), 16, 0.125, spectral_norm="discriminator", d_norm="none", d_dropout=0.0)
    d = build_discriminator(spec)
    normalised = [n for n, m in d.named_modules() if hasattr(m, "parametrizations")]
    assert normalised == ["blocks.0", "blocks.2", "blocks.5", "blocks.8", "head"]  # four convs and the head; no dropout
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.Dropout2d)) for m in d.modules())
    assert not any(hasattr(m, "parametrizations") for m in build_generator(spec).modules())
    both = build_generator(ModelSpec("dcgan", (1, 32, 32), 16, 0.125, spectral_norm="both"))
    assert sum(hasattr(m, "parametrizations") for m in both.modules()) == 4  # the Linear and the three convs


def test_k_packed_spectral_norms_are_k_separate_ones() -> None:
    """Train mode, float64: the packed power iterations move each pair's u, v as its own, and the outputs agree."""
    spec = ModelSpec(
        "dcgan", (1, 32, 32), 16, 0.125, n_classes=3, spectral_norm="discriminator", d_norm="none", d_dropout=0.0
    )
    torch.manual_seed(0)
    discs = [build_discriminator(spec).double() for _ in range(3)]
    packed = pack_networks(discs, channels_last=True)
    x, labels = torch.randn(3, 4, 1, 32, 32, dtype=torch.float64), torch.randint(0, 3, (3, 4))
    for _ in range(3):
        out = packed(x, labels)
        for k, d in enumerate(discs):
            torch.testing.assert_close(out[k], d(x[k], labels[k]), rtol=1e-10, atol=1e-12)
    for state, d in zip(packed.unpack(), discs):
        for key, value in d.state_dict().items():  # weights and the power iteration's u, v
            torch.testing.assert_close(state[key], value, rtol=1e-10, atol=1e-12, msg=key)
