"""The toy-data MLPs (SGAN, appendix A): four fully connected layers of 512, LeakyReLU(0.01)."""

from __future__ import annotations

import torch
import torch.nn as nn

from ganfleet.models import ModelSpec, build_pair, count_parameters


def test_four_layers_of_512() -> None:
    g, d = build_pair(ModelSpec("mlp", (2,)), seed=0)
    g_linear = [m for m in g.modules() if isinstance(m, nn.Linear)]
    d_linear = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in g_linear] == [(100, 512), (512, 512), (512, 512), (512, 2)]
    assert [(m.in_features, m.out_features) for m in d_linear] == [(2, 512), (512, 512), (512, 512), (512, 1)]
    assert {m.negative_slope for m in g.modules() if isinstance(m, nn.LeakyReLU)} == {0.01}
    assert count_parameters(g) == (100 * 512 + 512) + 2 * (512 * 512 + 512) + (512 * 2 + 2)


def test_shapes_and_conditioning() -> None:
    g, d = build_pair(ModelSpec("mlp", (2,), n_classes=8), seed=0)
    y = torch.tensor([0, 7, 3])
    x = g(torch.randn(3, 100), y)
    assert x.shape == (3, 2)
    assert d(x, y).shape == (3,)
    assert g.net[0].in_features == 108
