"""A conditional network with its label fixed, folded into the unconditional one (`shared.conditional`'s fork),
checked against the conditional network's own outputs."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from ganfleet.models import ModelSpec, build_pair
from ganfleet.models.conditioning import fold_adam_state, fold_discriminator_label, fold_generator_label

K = 5
SHAPES = {"dcgan": (1, 32, 32), "sngan": (3, 32, 32), "mlp": (2,)}


def pairs(arch: str, spectral_norm: str) -> tuple[nn.Module, nn.Module, nn.Module, nn.Module]:
    """A trained-looking conditional pair (random BatchNorm statistics, power-iterated spectral norms) and a
    fresh unconditional pair of the same architecture."""
    spec = ModelSpec(arch, SHAPES[arch], 8, 0.25, spectral_norm=spectral_norm)
    g_cond, d_cond = build_pair(spec.conditional(K), 1)
    g, d = build_pair(spec, 2)
    for module in g_cond.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
    images, labels = torch.randn(6, *SHAPES[arch]), torch.randint(0, K, (6,))
    for _ in range(3):  # the spectral norms' vectors away from their initial draw
        d_cond(images, labels)
    for network in (g_cond, d_cond, g, d):
        network.eval()
    return g_cond, d_cond, g, d


@pytest.mark.parametrize("arch", list(SHAPES))
def test_the_folded_generator_draws_what_the_conditional_one_draws_for_its_label(arch: str) -> None:
    g_cond, _, g, _ = pairs(arch, "discriminator")
    z = torch.randn(7, 8)
    for label in (0, 3, K - 1):
        g.load_state_dict(fold_generator_label(g_cond.state_dict(), g.state_dict(), label))
        with torch.no_grad():
            expected = g_cond(z, torch.full((7,), label))
            torch.testing.assert_close(g(z), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("arch", list(SHAPES))
def test_the_folded_discriminator_scores_as_the_conditional_one_without_spectral_norm(arch: str) -> None:
    _, d_cond, _, d = pairs(arch, "none")
    images = torch.randn(7, *SHAPES[arch])
    d.load_state_dict(fold_discriminator_label(d_cond.state_dict(), 2))
    with torch.no_grad():
        torch.testing.assert_close(d(images), d_cond(images, torch.full((7,), 2)), rtol=0, atol=1e-5)


@pytest.mark.parametrize("arch", ["dcgan", "sngan"])
def test_under_spectral_norm_the_folded_head_keeps_the_direction_at_length_one(arch: str) -> None:
    """logit - b = <w + e_y, h> / |w + e_y|: the conditional score, rescaled by one positive factor."""
    _, d_cond, _, d = pairs(arch, "discriminator")
    images = torch.randn(7, *SHAPES[arch])
    d.load_state_dict(fold_discriminator_label(d_cond.state_dict(), 4))
    bias = d_cond.head.bias
    with torch.no_grad():
        conditional = d_cond(images, torch.full((7,), 4)) - bias
        folded = d(images) - bias
        ratio = conditional / folded
        torch.testing.assert_close(ratio, ratio[:1].expand(7), rtol=1e-4, atol=0)
        assert float(ratio[0]) > 0
        head = d.head.weight.clone()
        torch.testing.assert_close(torch.linalg.vector_norm(head), torch.tensor(1.0))
        d.train()  # the first training step's power iteration finds the same norm
        torch.testing.assert_close(d.head.weight, head)


def test_adams_moments_follow_the_fold() -> None:
    g_cond, d_cond, g, d = pairs("dcgan", "discriminator")
    for cond, folded_into in ((g_cond, g), (d_cond, d)):
        cond.train()
        optimizer = torch.optim.Adam(cond.parameters(), lr=1e-3)
        inputs = (torch.randn(4, 8),) if cond is g_cond else (torch.randn(4, *SHAPES["dcgan"]),)
        cond(*inputs, torch.randint(0, K, (4,))).square().sum().backward()
        optimizer.step()
        state = fold_adam_state(optimizer.state_dict(), list(folded_into.parameters()))
        target = torch.optim.Adam(folded_into.parameters(), lr=1e-3)
        target.load_state_dict(state)  # Adam checks the parameter count; the shapes are checked here
        loaded = target.state_dict()["state"]
        assert len(loaded) == len(list(folded_into.parameters()))
        for index, parameter in enumerate(folded_into.parameters()):
            assert loaded[index]["exp_avg"].shape == parameter.shape
    first = fold_adam_state(torch.optim.Adam(g_cond.parameters()).state_dict(), list(g.parameters()))
    assert first["state"] == {}  # no moments yet: none made up
    with pytest.raises(ValueError, match="moments of shape"):  # parameters out of step: refused, not misloaded
        fold_adam_state(optimizer.state_dict(), list(folded_into.parameters())[1:])
