"""Bytes per pair: counted parts against parameter counts, activations against hand-computed saves."""

from __future__ import annotations

import torch
from benchmarks.pair_memory import GIB, PairMemory, SavedTensorPeak, measure_pair_memory

from ganfleet.models import count_parameters
from ganfleet.packing.pack import PairPack
from ganfleet.pairs import adversarial_step, make_pair, step_rule
from ganfleet.strategies import get_strategy
from tests.conftest import make_tiny_images, tiny_config


def test_saved_tensor_peak_counts_what_autograd_keeps_until_it_lets_go() -> None:
    x = torch.randn(1000, requires_grad=True)
    w = torch.randn(1000, requires_grad=True)
    with SavedTensorPeak(exclude={(w.device, w.untyped_storage().data_ptr())}) as saved:
        y = x.exp()  # saves its result: 4,000 bytes
        z = y.exp()  # saves its result: 4,000 more
        out = (z * w).sum()  # mul saves z (already counted) and w (excluded)
        assert saved.current == 8000
        out.backward()
        assert saved.current == 0  # the graph is freed
        x.exp().exp()  # a graph dropped at once never adds to the peak beyond its own saves
    assert saved.peak == 8000


def test_pair_memory_parts_and_packed_pairs_need_the_same_activations() -> None:
    images = make_tiny_images()
    config = tiny_config("unused", model__width=0.25, train__batch_size=8)
    rule = step_rule(config)
    members = get_strategy("class-parallel").members(images)
    pair = make_pair(config, images, members[0], torch.device("cpu"))
    single = measure_pair_memory(
        (pair.generator, pair.discriminator), (pair.opt_g, pair.opt_d), lambda: adversarial_step(pair, rule)
    )
    n_params = count_parameters(pair.generator) + count_parameters(pair.discriminator)
    n_tensors = len(list(pair.generator.parameters())) + len(list(pair.discriminator.parameters()))
    buffers = sum(b.numel() * b.element_size() for m in (pair.generator, pair.discriminator) for b in m.buffers())
    assert single.weights == 4 * n_params + buffers
    assert single.gradients == 4 * n_params
    assert single.optimizer == 2 * 4 * n_params + 4 * n_tensors  # two float32 moments, one float32 step per tensor
    # The largest saved activation of the step alone: the generator's 2x-upsampled map (N, c1, 32, 32) in float32.
    assert single.activations > 8 * 32 * 32 * 32 * 4

    pack = PairPack([make_pair(config, images, m, torch.device("cpu")) for m in members], channels_last=True)
    packed = measure_pair_memory(
        (pack.generator, pack.discriminator), (pack.opt_g, pack.opt_d), lambda: adversarial_step(pack, rule), n_pairs=3
    )
    assert packed.gradients == single.gradients
    n_counters = sum(1 for m in (pair.generator, pair.discriminator) for b in m.buffers() if b.ndim == 0)
    assert single.weights - packed.weights == 8 * n_counters * 2 // 3  # a pack shares its BatchNorm step counters
    assert abs(packed.activations - single.activations) <= 0.01 * single.activations


def test_pairs_in_a_budget() -> None:
    memory = PairMemory(weights=GIB // 8, gradients=GIB // 8, optimizer=GIB // 4, activations=GIB // 2)
    assert memory.total == GIB and memory.packed_total == GIB + 3 * GIB // 8
    assert memory.pairs_in(16 * GIB, packed=False) == 16
    assert memory.pairs_in(16 * GIB) == 11  # 16 / 1.375
