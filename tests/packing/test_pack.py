"""Packed pair training equals separate pairs: same weights, same Adam states, budgets kept.

The comparisons of whole training steps run the conv nets in float64. In
float32 no two summation orders agree after a few Adam steps on the biases
that feed a BatchNorm: their exact gradient is 0, so each path's gradient is
rounding noise, which Adam normalises into steps of about +-lr (the looped
path alone, run with 1 and then 2 threads, differs there by ~5e-4; see
docs/packing.md). In float64 that noise stays far below Adam's eps, and every
tensor agrees to 1e-5. The toy MLPs have no BatchNorm and are compared in
float32.
"""

from __future__ import annotations

import pytest
import torch

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.models.mlp import MLPDiscriminator, MLPGenerator
from ganfleet.packing.pack import PackedPairs, PairPack, group_pairs
from ganfleet.pairs import Pair, StepRule, adversarial_step, by_pair, make_pair, step_rule
from ganfleet.pairs.executor import LoopedPairs
from ganfleet.strategies import get_strategy
from tests.conftest import make_tiny_images, tiny_config

CPU = torch.device("cpu")
TOL = {"rtol": 1e-5, "atol": 1e-5}


def tiny_points() -> ClassPartitionedDataset:
    """3 classes of 2-D points (20, 14, 10 of them), each around its own centre."""
    g = torch.Generator().manual_seed(0)
    counts = [20, 14, 10]
    x = torch.cat(
        [
            torch.randn(n, 2, generator=g) * 0.1 + torch.tensor([k, -k], dtype=torch.float32)
            for k, n in enumerate(counts)
        ]
    )
    y = torch.cat([torch.full((n,), k) for k, n in enumerate(counts)])
    return ClassPartitionedDataset(x, y, ["a", "b", "c"], "tiny-points")


def narrow_mlps(pair: Pair, hidden: int = 32) -> Pair:
    """The toy MLPs at 32 instead of 512 units (same layers), with fresh optimisers of the same settings."""
    torch.manual_seed(pair.seed)
    pair.generator = MLPGenerator(2, pair.latent_dim, hidden)
    pair.discriminator = MLPDiscriminator(2, hidden)
    pair.opt_g = torch.optim.Adam(pair.generator.parameters(), **pair.opt_g.defaults)
    pair.opt_d = torch.optim.Adam(pair.discriminator.parameters(), **pair.opt_d.defaults)
    return pair


def make_pairs(
    dataset: ClassPartitionedDataset, dtype: torch.dtype = torch.float32, narrow: bool = True, **values: object
) -> list[Pair]:
    config = tiny_config("unused", **values)
    pairs = [make_pair(config, dataset, m, CPU) for m in get_strategy(config.train.strategy).members(dataset)]
    if config.resolved_arch == "mlp" and narrow:
        pairs = [narrow_mlps(p) for p in pairs]
    return [p.to_dtype(dtype) for p in pairs]


def full_state(pair: Pair) -> dict[str, torch.Tensor]:
    """Weights, buffers (LeCam's anchors among them), the generator EMA and both Adam states of a pair, flattened
    to names."""
    out = {f"g.{k}": v for k, v in pair.generator.state_dict().items()}
    out.update({f"d.{k}": v for k, v in pair.discriminator.state_dict().items()})
    if pair.ema is not None:
        out.update({f"ema.{k}": v for k, v in pair.ema.state_dict().items()})
    for side in ("opt_g", "opt_d"):
        for i, state in getattr(pair, side).state_dict()["state"].items():
            out.update({f"{side}.{i}.{k}": v for k, v in state.items()})
    return out


def assert_same_pairs(actual: list[Pair], expected: list[Pair], **tol: float) -> None:
    for a, b in zip(actual, expected, strict=True):
        assert a.step == b.step
        sa, sb = full_state(a), full_state(b)
        assert sa.keys() == sb.keys()
        for key in sa:
            torch.testing.assert_close(
                sa[key], sb[key], **(tol or TOL), msg=lambda m, a=a, key=key: f"{a.name} {key}: {m}"
            )


def step_both(looped: list[Pair], packed: list[Pair], rule: StepRule, run: PackedPairs, steps: int) -> None:
    """`steps` adversarial steps of the looped pairs one by one and of the packed ones through `run`."""
    for _ in range(steps):
        for p in looped:
            adversarial_step(p, rule)
        run.step(packed, rule)


@pytest.mark.parametrize(("loss", "steps"), [("ns", 3), ("hinge", 2), ("wgan-gp", 2), ("dragan", 1), ("wgan", 1)])
def test_packed_steps_equal_separate_steps(loss: str, steps: int) -> None:
    """Conv nets, float64: one pack of 3 pairs vs 3 separate pairs, from the same seeds, after several steps."""
    kwargs = {"loss__name": loss, "model__width": 0.0625}
    looped, packed = (
        make_pairs(make_tiny_images(), torch.float64, **kwargs),
        make_pairs(make_tiny_images(), torch.float64, **kwargs),
    )
    initial = full_state(looped[0])["g.project.weight"].clone()
    rule = step_rule(tiny_config("unused", **kwargs))
    run = PackedPairs(3, channels_last=True)
    for _ in range(steps):
        expected = {p.name: adversarial_step(p, rule).by_pair()[p.name] for p in looped}
        actual = by_pair(run.step(packed, rule))
        for name, values in expected.items():
            for key, value in values.items():
                torch.testing.assert_close(actual[name][key], value, **TOL)
    assert len(run.packs) == 1 and len(run.packs[0].pairs) == 3
    run.sync()
    assert not torch.allclose(full_state(looped[0])["g.project.weight"], initial)  # training did move the weights
    assert_same_pairs(packed, looped)


MODERN = {
    "model__spectral_norm": "discriminator",
    "augment__policy": "color,translation,cutout",
    "loss__lecam_weight": 0.3,
    "loss__diversity_weight": 0.5,
    "ema__kimg": 0.05,
    "ema__rampup": 0.5,
}


@pytest.mark.parametrize(
    ("loss", "extra"),
    [("hinge", {}), ("ns", {"model__spectral_norm": "both", "model__d_dropout": 0.25}), ("wgan-gp", {})],
)
def test_packed_steps_equal_separate_steps_with_every_recipe_feature(loss: str, extra: dict) -> None:
    """Spectral norm, DiffAugment, LeCam, the mode-seeking term and the generator EMA, conv nets in float64,
    conditional pairs too.
    """
    kwargs = {"loss__name": loss, "model__width": 0.0625, **MODERN, **extra}
    for strategy in ("class-parallel", "cgan"):
        data = make_tiny_images()
        config = tiny_config("unused", train__strategy=strategy, **kwargs)
        looped, packed = (make_pairs(data, torch.float64, train__strategy=strategy, **kwargs) for _ in range(2))
        assert looped[0].ema is not None and hasattr(looped[0].discriminator, "lecam_anchors")
        rule = step_rule(config, data.sample_shape)
        run = PackedPairs(3, channels_last=strategy == "class-parallel")
        for _ in range(3):
            expected = {p.name: adversarial_step(p, rule).by_pair()[p.name] for p in looped}
            actual = by_pair(run.step(packed, rule))
            for name, values in expected.items():
                for key, value in values.items():
                    torch.testing.assert_close(actual[name][key], value, **TOL)
        run.sync()
        assert not torch.equal(full_state(looped[0])["ema.blocks.0.weight"], full_state(looped[0])["g.blocks.0.weight"])
        assert_same_pairs(packed, looped)


def test_packed_mlp_pairs_equal_separate_pairs_with_the_recipe_features_in_float32() -> None:
    """Spectral norm on both networks, LeCam, the generator EMA (points take no augmentation)."""
    kwargs = {
        "loss__name": "hinge",
        "model__arch": "mlp",
        "data__name": "toy",
        "model__width": 1 / 16,
        "model__spectral_norm": "both",
        "loss__lecam_weight": 0.3,
        "ema__kimg": 0.05,
    }
    looped, packed = (
        make_pairs(tiny_points(), narrow=False, **kwargs),
        make_pairs(tiny_points(), narrow=False, **kwargs),
    )
    rule = step_rule(tiny_config("unused", **kwargs))
    run = PackedPairs(3, channels_last=False)
    step_both(looped, packed, rule, run, 3)
    run.sync()
    assert_same_pairs(packed, looped)


@pytest.mark.parametrize("loss", ["ns", "wgan-gp", "hinge"])
def test_packed_mlp_pairs_equal_separate_pairs_in_float32(loss: str) -> None:
    kwargs = {"loss__name": loss, "model__arch": "mlp", "data__name": "toy"}
    looped, packed = make_pairs(tiny_points(), **kwargs), make_pairs(tiny_points(), **kwargs)
    rule = step_rule(tiny_config("unused", **kwargs))
    run = PackedPairs(2, channels_last=False)  # a pack of 2 and a pack of 1
    step_both(looped, packed, rule, run, 3)
    assert [len(pack.pairs) for pack in run.packs] == [2, 1]
    run.sync()
    assert_same_pairs(packed, looped)


def test_a_pair_that_is_done_stays_put_while_its_pack_trains_on() -> None:
    looped, packed = make_pairs(make_tiny_images(), torch.float64), make_pairs(make_tiny_images(), torch.float64)
    rule = step_rule(tiny_config("unused"))
    run = PackedPairs(3, channels_last=False)
    step_both(looped, packed, rule, run, 2)
    run.sync()
    frozen = {k: v.clone() for k, v in full_state(packed[1]).items()}
    for _ in range(2):  # pair 1 has reached its budget: only pairs 0 and 2 are due
        for p in (looped[0], looped[2]):
            adversarial_step(p, rule)
        run.step([packed[0], packed[2]], rule)
    assert [[p.name for p in pack.pairs] for pack in run.packs] == [["class-0000", "class-0002"]]
    run.sync()
    assert packed[1].step == 2
    after = full_state(packed[1])
    assert all(torch.equal(after[k], frozen[k]) for k in frozen)  # not one bit moved
    assert_same_pairs(packed, looped)


def test_pack_and_unpack_of_optimiser_states_round_trip_exactly() -> None:
    pairs = make_pairs(make_tiny_images())
    rule = step_rule(tiny_config("unused"))
    for p in pairs:
        adversarial_step(p, rule)
    before = [{k: v.clone() for k, v in full_state(p).items()} for p in pairs]
    PairPack(pairs, channels_last=True).write_back()
    for p, state in zip(pairs, before):
        after = full_state(p)
        assert after.keys() == state.keys()
        assert all(torch.equal(after[k], state[k]) for k in state)


def test_only_compatible_pairs_share_a_pack() -> None:
    pairs = make_pairs(make_tiny_images())
    pairs[1].step = 5  # a pair restored from another step: its Adam bias correction differs
    groups = group_pairs(pairs, size=8)
    assert [[p.name for p in g] for g in groups] == [["class-0000", "class-0002"], ["class-0001"]]
    with pytest.raises(ValueError, match="same step"):
        PairPack(pairs, channels_last=False)


@pytest.mark.slow
def test_compiled_networks_step_like_eager_ones() -> None:
    """train.compile: packs of 1 (the default execution) and the loop, compiled, equal eager steps in float64."""
    pytest.importorskip("torch._inductor")
    rule = step_rule(tiny_config("unused", **MODERN), make_tiny_images().sample_shape)
    for compiled_run, eager_run in (
        (PackedPairs(1, True, compile=True), PackedPairs(1, True)),
        (LoopedPairs(compile=True), LoopedPairs()),
    ):
        compiled, eager = (
            make_pairs(make_tiny_images(), torch.float64, model__width=0.0625, **MODERN) for _ in range(2)
        )
        for _ in range(2):
            compiled_run.step(compiled, rule), eager_run.step(eager, rule)
        compiled_run.sync(), eager_run.sync()
        assert_same_pairs(compiled, eager)


def test_packed_steps_equal_separate_steps_with_freeze_d() -> None:
    """FreezeD's frozen discriminator layers, conv nets in float64: they stay as built in a pack as in a loop."""
    kwargs = {"loss__name": "hinge", "model__width": 0.0625, **MODERN, "shared__kimg": 0.004, "shared__freeze_d": 2}
    data = make_tiny_images()
    looped, packed = (make_pairs(data, torch.float64, **kwargs) for _ in range(2))
    first = [k for k, p in looped[0].discriminator.named_parameters() if not p.requires_grad]
    assert first and all(k.startswith(("blocks.0.", "blocks.2.")) for k in first)
    initial = {k: v.clone() for k, v in full_state(looped[0]).items()}
    rule = step_rule(tiny_config("unused", **kwargs), data.sample_shape)
    run = PackedPairs(3, channels_last=True)
    step_both(looped, packed, rule, run, 3)
    run.sync()
    assert_same_pairs(packed, looped)
    moved = full_state(looped[0])
    assert all(torch.equal(moved[f"d.{k}"], initial[f"d.{k}"]) for k in first)
    assert not torch.equal(
        moved["d.head.parametrizations.weight.original"], initial["d.head.parametrizations.weight.original"]
    )
