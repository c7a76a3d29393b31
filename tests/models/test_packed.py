"""Packed networks: pair k of a packed module is network k, weights round-trip exactly."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn

from ganfleet.models import ModelSpec, build_pair, pack_networks
from ganfleet.models.packed_layers import from_channels, pack_layer, to_channels

K, N = 3, 6
SPECS = {
    "paper": ModelSpec("paper", (1, 32, 32), 16, 0.125),
    "dcgan-conditional": ModelSpec("dcgan", (3, 32, 32), 16, 0.125, n_classes=4),
    "sngan-conditional": ModelSpec("sngan", (1, 32, 32), 16, 0.0625, n_classes=4, spectral_norm="both"),
    "mlp": ModelSpec("mlp", (2,), 16),
    "mlp-conditional": ModelSpec("mlp", (2,), 16, n_classes=5),
}
LAYOUTS = [False, True]  # channels_last
# (spec, channels_last): both layouts for the conv nets; the MLPs have no channels
CASES = [
    ("paper", False),
    ("paper", True),
    ("dcgan-conditional", True),
    ("sngan-conditional", False),
    ("sngan-conditional", True),
    ("mlp", False),
    ("mlp-conditional", False),
]


def pairs_of(spec: ModelSpec, dtype: torch.dtype = torch.float32) -> tuple[list[nn.Module], list[nn.Module]]:
    built = [build_pair(spec, seed) for seed in range(K)]
    return [g.to(dtype) for g, _ in built], [d.to(dtype) for _, d in built]


def inputs(spec: ModelSpec, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor | None]:
    z = torch.randn(K, N, spec.latent_dim, dtype=dtype)
    labels = torch.randint(0, spec.n_classes, (K, N)) if spec.n_classes else None
    return z, labels


def one(labels: torch.Tensor | None, k: int) -> torch.Tensor | None:
    return None if labels is None else labels[k]


@pytest.mark.parametrize(("name", "channels_last"), CASES)
def test_pack_unpack_round_trips_exactly(name: str, channels_last: bool) -> None:
    gens, discs = pairs_of(SPECS[name])
    others = [build_pair(SPECS[name], 100 + k) for k in range(K)]  # same architecture, other weights
    for side, originals, packed in (
        (0, gens, pack_networks(gens, channels_last)),
        (1, discs, pack_networks(discs, channels_last)),
    ):
        assert packed.state_dict().keys() == originals[0].state_dict().keys()
        for state, module in zip(packed.unpack(), originals):
            expected = module.state_dict()
            assert state.keys() == expected.keys()
            assert all(torch.equal(state[key], expected[key]) for key in state)
        # write_back into other networks of the same architecture makes them equal to the originals
        targets = [pair[side] for pair in others]
        packed.write_back(targets)
        for other, module in zip(targets, originals):
            assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), module.state_dict().values()))


# float64 compares the math; float32 the kernels used in training, where the last
# BatchNorms of the tiny test networks (variance near eps) amplify rounding to ~2e-5.
DTYPES = {
    "float64": (torch.float64, {"rtol": 1e-9, "atol": 1e-10}),
    "float32": (torch.float32, {"rtol": 1e-4, "atol": 1e-4}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "channels_last"), CASES)
def test_pair_k_of_the_packed_networks_is_network_k(name: str, channels_last: bool, dtype: str) -> None:
    """Train mode (BatchNorm batch statistics, dropout masks from each pair's stream) and eval mode."""
    spec = SPECS[name]
    torch_dtype, tol = DTYPES[dtype]
    gens, discs = pairs_of(spec, torch_dtype)
    g, d = pack_networks(gens, channels_last), pack_networks(discs, channels_last)
    z, labels = inputs(spec, torch_dtype)
    d.set_generators([torch.Generator().manual_seed(10 + k) for k in range(K)])
    x = g(z, labels)
    scores = d(x, labels)
    assert x.shape == (K, N, *spec.sample_shape) and scores.shape == (K, N)
    for k in range(K):
        torch.manual_seed(10 + k)  # pair k alone draws its masks from the global RNG seeded the same
        x_k = gens[k](z[k], one(labels, k))
        torch.testing.assert_close(x[k], x_k, **tol)
        torch.testing.assert_close(scores[k], discs[k](x_k, one(labels, k)), **tol)
    # running statistics were updated per pair, exactly as each network updated its own
    for packed, originals in ((g, gens), (d, discs)):
        for state, module in zip(packed.unpack(), originals):
            for key, value in module.state_dict().items():
                torch.testing.assert_close(state[key], value, **tol)
    g.eval(), d.eval()
    x = g(z, labels)
    for k in range(K):
        gens[k].eval(), discs[k].eval()
        torch.testing.assert_close(x[k], gens[k](z[k], one(labels, k)), **tol)
        torch.testing.assert_close(d(x, labels)[k], discs[k](x[k], one(labels, k)), **tol)


@pytest.mark.parametrize(("name", "channels_last"), [("paper", True), ("mlp-conditional", False)])
def test_gradient_of_the_summed_losses_is_each_pairs_own_gradient(name: str, channels_last: bool) -> None:
    """In float64, so that only the math is compared (rounding differences stay near 1e-16)."""
    spec = SPECS[name]
    gens, discs = pairs_of(spec, torch.float64)
    g, d = pack_networks(gens, channels_last), pack_networks(discs, channels_last)
    z, labels = inputs(spec, torch.float64)
    d.set_generators([torch.Generator().manual_seed(k) for k in range(K)])
    d(g(z, labels), labels).square().mean(dim=1).sum().backward()
    for k in range(K):
        torch.manual_seed(k)
        discs[k](gens[k](z[k], one(labels, k)), one(labels, k)).square().mean().backward()
        for packed, module in ((g, gens[k]), (d, discs[k])):
            for key, p in module.named_parameters():
                grad = packed.pair_view(key, dict(packed.named_parameters())[key].grad)[k]
                torch.testing.assert_close(grad, p.grad, rtol=1e-9, atol=1e-12)


def test_channel_layouts_round_trip_and_use_the_requested_memory_format() -> None:
    x = torch.randn(K, N, 4, 5, 5)  # (K, N, C, H, W)
    for channels_last in LAYOUTS:
        packed = to_channels(x, channels_last)
        assert packed.shape == (N, K * 4, 5, 5)
        assert packed.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        assert torch.equal(packed[:, 4:8], x[1])  # pair 1 owns channels 4..7
        assert torch.equal(from_channels(packed, K), x)
        # a packed activation goes back to pairs-first and into the next packed module without a copy
        assert to_channels(from_channels(packed, K), channels_last).data_ptr() == packed.data_ptr()


def test_packing_refuses_mixed_or_unknown_networks() -> None:
    paper, _ = pairs_of(SPECS["paper"])
    mlp, _ = pairs_of(SPECS["mlp"])
    with pytest.raises(ValueError, match="different types"):
        pack_networks(paper[:1] + mlp[:1])
    wider = build_pair(ModelSpec("paper", (1, 32, 32), 16, 0.25), 0)[0]
    with pytest.raises(ValueError, match="cannot pack differing layers"):
        pack_networks([*paper[:1], wider])
    with pytest.raises(ValueError, match="cannot pack a GELU layer; packable layer types: Linear, Conv2d"):
        pack_layer([nn.GELU(), nn.GELU()])
    with pytest.raises(ValueError, match=re.escape("cannot pack a Linear: packable networks define pack()")):
        pack_networks([nn.Linear(2, 2)])


def test_pairs_with_different_batchnorm_counters_are_not_packed() -> None:
    gens, _ = pairs_of(SPECS["paper"])
    gens[1].blocks[0].num_batches_tracked += 1
    with pytest.raises(ValueError, match=re.escape("blocks.0.num_batches_tracked: the pairs differ")):
        pack_networks(gens)
