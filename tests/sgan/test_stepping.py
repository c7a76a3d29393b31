"""SGAN's execution: locals untouched by the global pair, the global update, conditional G_0, the fleet, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganfleet import Fleet
from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data import load_dataset
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.pairs import Pair, adversarial_step, by_pair, step_rule
from ganfleet.rundir import RunDir
from ganfleet.rundir.checkpoint import load_latest
from ganfleet.sgan import SganExecutor
from ganfleet.sgan.global_step import accumulate_global_gradients
from ganfleet.train import train
from ganfleet.train.execution import build_executor
from ganfleet.train.run_plan import build_pairs, plan_run
from tests.conftest import tiny_config

CPU = torch.device("cpu")


def toy_data(mixture: str = "ring8") -> ClassPartitionedDataset:
    return load_dataset(DataConfig(name="toy", mixture=mixture, toy_per_class=24))


def toy_config(out: Path | str = "unused", **values: object) -> RunConfig:
    """Toy MLPs of 32 hidden units, batch 16, a few steps on the CPU."""
    base = {
        "data.name": "toy",
        "data.toy_per_class": 24,
        "model.width": 1 / 16,
        "train.strategy": "sgan",
        "train.batch_size": 16,
        "budget.steps": 3,
        "optim.lr_g": 1e-3,
        "optim.lr_d": 1e-3,
        "train.device": "cpu",
        "cadence.log_every": 1,
        "cadence.grid_every": 0,
        "cadence.checkpoint_every": 2,
        "out": str(out),
    }
    base.update({k.replace("__", "."): v for k, v in values.items()})
    return apply_values(RunConfig(), base)


def build(config: RunConfig, dataset: ClassPartitionedDataset) -> tuple[SganExecutor, list[Pair]]:
    """Every pair of an SGAN run in this process, with the strategy's budgets, and their executor."""
    plan = plan_run(config, dataset)
    pairs = build_pairs(config, plan, dataset, [m.name for m in plan.members], CPU, RunDir("unused"), resume=False)
    executor, _ = build_executor(config, plan.strategy, len(plan.members), pairs, step_rule(config), None)
    assert isinstance(executor, SganExecutor)
    return executor, pairs


def state(pair: Pair) -> dict[str, torch.Tensor]:
    """Every tensor that defines a pair's future: weights, buffers and both optimiser states."""
    out = {f"g.{k}": v for k, v in pair.generator.state_dict().items()}
    out.update({f"d.{k}": v for k, v in pair.discriminator.state_dict().items()})
    for name, opt in (("opt_g", pair.opt_g), ("opt_d", pair.opt_d)):
        for idx, values in opt.state_dict()["state"].items():
            out.update({f"{name}.{idx}.{k}": v for k, v in values.items()})
    return {k: v.clone() for k, v in out.items()}


def state_of(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def assert_equal_states(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)


# ----------------------------------------------------------------------------- the locals never change


@pytest.mark.parametrize(
    ("loss", "share_weights", "g0_against"),
    [
        ("ns", False, "messengers"),
        ("wgan-gp", False, "messengers"),
        ("dragan", True, "messengers"),
        ("wgan", True, "messengers"),
        ("hinge", False, "messengers-and-d0"),
        ("ns", False, "d0"),
    ],
)
def test_local_pairs_are_identical_with_and_without_the_global_pair(
    loss: str, share_weights: bool, g0_against: str
) -> None:
    config = toy_config(sgan__locals=3, loss__name=loss, sgan__share_weights=share_weights, sgan__g0_against=g0_against)
    data = toy_data()
    rule = step_rule(config)
    with_global, pairs = build(config, data)
    _, alone = build(config, data)
    global_before = state(pairs[0])
    for _ in range(3):
        with_global.step(pairs, rule)
        for pair in alone[1:]:
            adversarial_step(pair, rule)  # the same local steps, no global pair at all
    for a, b in zip(pairs[1:], alone[1:]):
        assert_equal_states(state(a), state(b))
    assert pairs[0].step == 3
    changed = [
        k for k in global_before if k.startswith(("g.", "d.")) and not torch.equal(global_before[k], state(pairs[0])[k])
    ]
    assert changed, "the global pair did not train"


@pytest.mark.slow
def test_split_sgan_locals_equal_a_class_parallel_run(tiny_images, tmp_path: Path) -> None:
    """End to end: the class pairs of an SGAN run are bit for bit those of a class-parallel run."""
    for strategy, extra in (("class-parallel", {}), ("sgan", {"sgan__split_by_class": True})):
        train(
            tiny_config(tmp_path / strategy, train__strategy=strategy, loss__name="wgan-gp", budget__steps=3, **extra),
            progress=False,
            dataset=tiny_images,
        )
    for k in range(3):
        a = load_latest(tmp_path / "class-parallel" / "pairs" / f"class-{k:04d}")
        b = load_latest(tmp_path / "sgan" / "pairs" / f"class-{k:04d}")
        assert a is not None and b is not None and a.step == b.step == 3
        for section in ("generator", "discriminator"):
            assert_equal_states(getattr(a, section), getattr(b, section))


# ----------------------------------------------------------------------------- the global update


@pytest.mark.parametrize("g0_against", ["messengers", "messengers-and-d0", "d0"])
def test_global_gradients_are_sums_over_local_pairs_in_any_order(g0_against: str) -> None:
    """The distributed seam: per-process partial sums add up to the one-process gradients."""
    config = toy_config(sgan__locals=4, loss__name="wgan-gp")
    strategy, pairs = build(config, toy_data())
    rule = step_rule(config)
    strategy.step(pairs, rule)  # move everything off its initialisation first
    g0 = pairs[0]

    def grads(views) -> dict[str, torch.Tensor]:
        accumulate_global_gradients(g0, views, rule, messenger_steps=2, g0_against=g0_against)
        modules = {"g": g0.generator, "d": g0.discriminator}
        return {f"{m}.{n}": p.grad.clone() for m, mod in modules.items() for n, p in mod.named_parameters()}

    total = grads(strategy.views)
    first, second = grads(strategy.views[:1] + strategy.views[3:]), grads(strategy.views[1:3][::-1])
    for key in total:
        torch.testing.assert_close(first[key] + second[key], total[key], rtol=1e-5, atol=1e-7, msg=key)
    # Every gradient is non-zero except the critic head's bias: it cancels in E C(fake) - E C(real).
    assert [k for k, v in total.items() if float(v.abs().sum()) == 0] == ["d.head.bias"]


def test_against_d0_d0_judges_g0s_samples_and_g0_learns_from_d0() -> None:
    """sgan.g0_against: with D_0, D_0's gradient no longer depends on the local generators, and G_0's
    gradient is its messengers' plus D_0's (d0: D_0's alone)."""
    config = toy_config(sgan__locals=2, loss__name="hinge")
    strategy, pairs = build(config, toy_data())
    rule, g0 = step_rule(config), pairs[0]

    def grads(g0_against: str) -> dict[str, torch.Tensor]:
        accumulate_global_gradients(g0, strategy.views, rule, messenger_steps=1, g0_against=g0_against)
        modules = {"g": g0.generator, "d": g0.discriminator}
        return {f"{m}.{n}": p.grad.clone() for m, mod in modules.items() for n, p in mod.named_parameters()}

    messengers_before = [state_of(v.messenger.discriminator) for v in strategy.views]
    alone = grads("d0")
    for view, before in zip(strategy.views, messengers_before):  # d0: no messenger is loaded or trained
        assert_equal_states(state_of(view.messenger.discriminator), before)
    paper, both = grads("messengers"), grads("messengers-and-d0")
    with torch.no_grad():
        for local in pairs[1:]:
            for p in local.generator.parameters():
                p.mul_(-1.5)  # other local generators
    paper_moved, both_again, alone_again = grads("messengers"), grads("messengers-and-d0"), grads("d0")
    d_keys = [k for k in paper if k.startswith("d.")]
    assert any(not torch.equal(paper[k], paper_moved[k]) for k in d_keys)  # Algorithm 1's D_0 sees the locals
    for key in both:
        torch.testing.assert_close(both_again[key], both[key], rtol=0, atol=0, msg=key)
        torch.testing.assert_close(alone_again[key], alone[key], rtol=0, atol=0, msg=key)
    for key in (k for k in paper if k.startswith("g.")):  # G_0's gradient gains D_0's part
        assert not torch.equal(both[key], paper[key]), key


def test_messengers_train_against_g0_and_leave_the_local_discriminator_alone() -> None:
    config = toy_config(sgan__locals=2)
    strategy, pairs = build(config, toy_data())
    before = [state(p) for p in pairs[1:]]
    strategy.global_step(step_rule(config))
    for view, local_before in zip(strategy.views, before):
        assert_equal_states(state(view.local), local_before)
        local_d = view.local.discriminator.state_dict()
        moved = [k for k, v in view.messenger.discriminator.state_dict().items() if not torch.equal(v, local_d[k])]
        assert moved, "the messenger was not trained"


def test_conditional_g0_learns_label_k_only_from_class_k() -> None:
    config = toy_config(sgan__split_by_class=True)
    data = toy_data()
    strategy, pairs = build(config, data)
    g0 = pairs[0]
    latent = g0.latent_dim
    for k, view in enumerate(strategy.views):
        assert view.label == k
        torch.testing.assert_close(
            view.stream.samples.sort(dim=0).values, data.class_samples(k).sort(dim=0).values, rtol=0, atol=0
        )
    accumulate_global_gradients(g0, strategy.views[5:6], step_rule(config), messenger_steps=1)
    one_hot_grad = g0.generator.net[0].weight.grad[:, latent:].abs().sum(dim=0)  # input columns of the labels
    assert float(one_hot_grad[5]) > 0
    torch.testing.assert_close(one_hot_grad[torch.arange(8) != 5], torch.zeros(7), rtol=0, atol=0)
    d_embed_grad = g0.discriminator.embed.weight.grad.abs().sum(dim=1)  # D_0's projection rows, one per label
    assert float(d_embed_grad[5]) > 0 and float(d_embed_grad.sum() - d_embed_grad[5]) == 0.0


@pytest.mark.parametrize("loss", ["ns", "wgan-gp", "dragan", "wgan"])
def test_variants_take_finite_global_steps(loss: str) -> None:
    config = toy_config(sgan__locals=2, loss__name=loss, loss__clip_value=0.05)
    strategy, pairs = build(config, toy_data())
    out = by_pair(strategy.step(pairs, step_rule(config)))
    assert set(out) == {"global", "local-00", "local-01"}
    assert out["global"].keys() == out["local-00"].keys()
    assert all(torch.isfinite(v) for v in out["global"].values())
    if loss == "wgan":
        largest = torch.stack([p.detach().abs().max() for p in pairs[0].discriminator.parameters()]).max()
        assert largest == torch.tensor(0.05)  # float32 0.05: D_0 was clipped (its init exceeds 0.05)


# ----------------------------------------------------------------------------- the fleet artifact


def test_sgan_fleet_samples_from_the_global_or_the_local_generators(tmp_path: Path) -> None:
    train(
        toy_config(tmp_path / "run", sgan__split_by_class=True, sgan__share_weights=True),
        progress=False,
        dataset=toy_data(),
    )
    fleet = Fleet.load(tmp_path / "run")
    assert fleet.strategy == "sgan" and sorted(fleet.steps.values()) == [3] * 9
    labels = torch.tensor([0, 3, 3, 7])
    by_global = fleet.sample(4, labels=labels, seed=1, member="global")
    by_class = fleet.sample(4, labels=labels, seed=1)
    assert by_global.shape == by_class.shape == (4, 2) and not torch.allclose(by_global, by_class)
    z = torch.randn(4, 100, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(by_global, fleet.generators["global"](z, labels), rtol=0, atol=0)
    torch.testing.assert_close(by_class[1:3], fleet.generators["class-0003"](z[1:3]), rtol=0, atol=0)


@pytest.mark.parametrize("g0_against", ["messengers", "messengers-and-d0"])
def test_sgan_resume_equals_uninterrupted(tmp_path: Path, g0_against: str) -> None:
    values = {
        "sgan__split_by_class": True,
        "sgan__share_weights": True,
        "sgan__g0_against": g0_against,
        "loss__name": "wgan-gp",
        "loss__n_critic": 2,
    }
    train(toy_config(tmp_path / "straight", budget__steps=4, **values), progress=False, dataset=toy_data())
    train(toy_config(tmp_path / "resumed", **values), progress=False, dataset=toy_data())
    train(toy_config(tmp_path / "resumed", budget__steps=4, **values), resume=True, progress=False, dataset=toy_data())
    for member in ["global"] + [f"class-{k:04d}" for k in range(8)]:
        a, b = (
            load_latest(tmp_path / "straight" / "pairs" / member),
            load_latest(tmp_path / "resumed" / "pairs" / member),
        )
        assert a is not None and b is not None and a.step == b.step == 4
        assert_equal_states(a.generator, b.generator)
        assert_equal_states(a.discriminator, b.discriminator)
