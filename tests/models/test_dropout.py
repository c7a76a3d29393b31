"""ChannelDropout is nn.Dropout2d, with a mask draw that can come from a chosen generator."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from ganfleet.models.dropout import ChannelDropout, channel_dropout_mask


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_same_output_as_torch_dropout2d_for_the_same_seed(p: float) -> None:
    x = torch.randn(16, 8, 5, 5)
    torch.manual_seed(7)
    expected = nn.Dropout2d(p)(x)
    torch.manual_seed(7)
    actual = ChannelDropout(p)(x)
    assert torch.equal(actual, expected)
    # and the global RNG has advanced by the same draws
    torch.manual_seed(7)
    nn.Dropout2d(p)(x)
    after_torch = torch.rand(3)
    torch.manual_seed(7)
    ChannelDropout(p)(x)
    assert torch.equal(torch.rand(3), after_torch)


def test_whole_channels_dropped_survivors_scaled() -> None:
    x = torch.ones(64, 32, 3, 3)
    y = ChannelDropout(0.25)(x)
    per_channel = y.flatten(2)
    assert torch.equal(per_channel.amin(dim=2), per_channel.amax(dim=2))  # one decision per (sample, channel)
    assert per_channel[..., 0].unique().tolist() == [0.0, torch.tensor(1.0 / 0.75).item()]
    kept = float((per_channel[..., 0] > 0).float().mean())
    assert 0.70 < kept < 0.80  # 2,048 Bernoulli(0.75) draws: mean within ~4.6 sigma


def test_eval_mode_and_edge_probabilities() -> None:
    x = torch.randn(4, 3, 2, 2)
    assert torch.equal(ChannelDropout(0.25).eval()(x), x)
    assert torch.equal(ChannelDropout(0.0)(x), x)
    assert torch.equal(ChannelDropout(1.0)(x), torch.zeros_like(x))


def test_mask_from_a_private_generator_equals_the_seeded_global_stream() -> None:
    like = torch.empty(6, 4, 8, 8)
    torch.manual_seed(3)
    from_global = channel_dropout_mask(like, 4, 0.25)
    from_private = channel_dropout_mask(like, 4, 0.25, torch.Generator().manual_seed(3))
    assert from_global.shape == (6, 4, 1, 1)
    assert torch.equal(from_global, from_private)
