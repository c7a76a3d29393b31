"""Generator EMA: StyleGAN2-ADA's half-life with ramp-up, and the average itself."""

from __future__ import annotations

import torch
import torch.nn as nn

from ganfleet.pairs.ema import EmaRule, ema_copy, update_ema


def test_beta_is_the_half_life_in_images_with_ramp_up() -> None:
    rule = EmaRule(kimg=10, rampup=0.05)
    assert rule.beta(0, 64) == 0.0  # nothing seen yet: the average is the generator
    assert abs(rule.beta(64_000, 64) - 0.5 ** (64 / 3200)) < 1e-15  # ramp-up: 5 % of 64k images
    assert abs(rule.beta(10**7, 64) - 0.5 ** (64 / 10_000)) < 1e-15  # later the half-life is 10 kimg
    assert abs(EmaRule(kimg=10, rampup=None).beta(0, 64) - 0.5 ** (64 / 10_000)) < 1e-15
    beta = rule.beta(10**7, 64)
    assert abs(beta ** (10_000 / 64) - 0.5) < 1e-12  # after a half-life of images the old average counts half


def test_update_averages_parameters_and_copies_buffers() -> None:
    g = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    ema = ema_copy(g)
    before = [p.clone() for p in ema.parameters()]
    with torch.no_grad():
        for p in g.parameters():
            p.add_(1.0)
        g[1].running_mean.fill_(3.0)
    update_ema(ema, g, beta=0.75)
    for average, old, new in zip(ema.parameters(), before, g.parameters()):
        torch.testing.assert_close(average, 0.75 * old + 0.25 * new, rtol=1e-6, atol=1e-7)
    assert torch.equal(ema[1].running_mean, g[1].running_mean) and not any(p.requires_grad for p in ema.parameters())
