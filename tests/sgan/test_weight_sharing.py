"""N-SW: which layers the local pairs share, how they step, and that checkpoints stay standalone."""

from __future__ import annotations

from pathlib import Path

import torch

from ganfleet import Fleet
from ganfleet.models import ModelSpec, build_pair
from ganfleet.pairs import adversarial_step, step_rule
from ganfleet.sgan.weight_sharing import data_side_half, shared_fraction
from ganfleet.train import train
from tests.sgan.test_stepping import build, toy_config, toy_data


def linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def test_mlp_shares_the_data_side_half() -> None:
    g, d = build_pair(ModelSpec("mlp", (2,)), seed=0)
    assert data_side_half(g, from_output=True) == ["net.6", "net.4"]  # the last two layers
    assert data_side_half(d, from_output=False) == ["trunk.0", "trunk.2"]  # the first two
    g_total = linear(100, 512) + 2 * linear(512, 512) + linear(512, 2)
    d_total = linear(2, 512) + 2 * linear(512, 512) + linear(512, 1)
    assert shared_fraction(g, ["net.6", "net.4"]) == (linear(512, 2) + linear(512, 512)) / g_total  # 0.457
    assert shared_fraction(d, ["trunk.0", "trunk.2"]) == (linear(2, 512) + linear(512, 512)) / d_total  # 0.501


def _describe(module: torch.nn.Module, names: list[str]) -> list[tuple[str, int]]:
    """(kind, output size) of each named layer, so the test does not depend on Sequential indices."""
    out = []
    for name in names:
        m = module.get_submodule(name)
        out.append(
            (type(m).__name__, getattr(m, "out_channels", getattr(m, "num_features", getattr(m, "out_features", 0))))
        )
    return out


def test_dcgan_shares_its_small_data_side_layers() -> None:
    g, d = build_pair(ModelSpec("dcgan", (1, 32, 32)), seed=0)
    conv = lambda i, o: i * o * 9 + o  # noqa: E731
    # From the output: every layer but the Linear(100 -> 128*8*8), which alone is 79 % of the generator.
    g_names = data_side_half(g, from_output=True)
    assert _describe(g, g_names) == [
        ("Conv2d", 1),
        ("BatchNorm2d", 64),
        ("Conv2d", 64),
        ("BatchNorm2d", 128),
        ("Conv2d", 128),
        ("BatchNorm2d", 128),
    ]
    shared_g = conv(64, 1) + 128 + conv(128, 64) + 256 + conv(128, 128) + 256
    assert shared_fraction(g, g_names) == shared_g / (shared_g + linear(100, 128 * 64))
    # From the input: conv 1->16, conv 16->32, BN 32, conv 32->64, BN 64 (adding conv 64->128 would overshoot).
    d_names = data_side_half(d, from_output=False)
    assert _describe(d, d_names) == [
        ("Conv2d", 16),
        ("Conv2d", 32),
        ("BatchNorm2d", 32),
        ("Conv2d", 64),
        ("BatchNorm2d", 64),
    ]
    shared_d = conv(1, 16) + conv(16, 32) + 64 + conv(32, 64) + 128
    assert shared_fraction(d, d_names) == shared_d / (shared_d + conv(64, 128) + 256 + linear(512, 1))


def test_shared_layers_are_one_module_stepped_by_every_local() -> None:
    config = toy_config(sgan__locals=3, sgan__share_weights=True)
    strategy, pairs = build(config, toy_data())
    assert strategy.shared_fractions is not None
    a, b, c = pairs[1:]
    assert a.generator.net[6] is b.generator.net[6] is c.generator.net[6]
    assert a.generator.net[0] is not b.generator.net[0]
    assert a.discriminator.trunk[2] is c.discriminator.trunk[2] and a.discriminator.head is not c.discriminator.head
    assert any(p is b.generator.net[4].weight for group in b.opt_g.param_groups for p in group["params"])
    before = b.generator.net[4].weight.detach().clone()
    adversarial_step(a, step_rule(config))  # local 0's step moves local 1's shared layer too
    assert not torch.equal(before, b.generator.net[4].weight)
    assert torch.equal(b.generator.net[0].weight, pairs[2].generator.net[0].weight)  # its own layers: untouched


def test_local_checkpoints_load_as_standalone_generators(tmp_path: Path) -> None:
    train(toy_config(tmp_path / "run", sgan__locals=2, sgan__share_weights=True), progress=False, dataset=toy_data())
    fleet = Fleet.load(tmp_path / "run")
    z = torch.randn(5, 100, generator=torch.Generator().manual_seed(3))
    for name in ("local-00", "local-01"):
        torch.testing.assert_close(fleet.sample(5, seed=3, member=name), fleet.generators[name](z), rtol=0, atol=0)
    g0, g1 = fleet.generators["local-00"].state_dict(), fleet.generators["local-01"].state_dict()
    layers = tuple(name + "." for name in data_side_half(fleet.generators["local-00"], from_output=True))
    assert layers == ("net.6.", "net.4.", "net.2.")  # at 32 hidden units the input layer alone is 60 %
    shared = [k for k in g0 if k.startswith(layers)]
    own = [k for k in g0 if not k.startswith(layers)]
    assert shared and all(torch.equal(g0[k], g1[k]) for k in shared)
    assert own and not any(torch.equal(g0[k], g1[k]) for k in own)
