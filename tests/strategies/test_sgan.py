"""SGAN's strategy: its members, their budgets, and its settings."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ganfleet.config import RunConfig, apply_values
from ganfleet.errors import ConfigError
from ganfleet.pairs import make_pair
from ganfleet.sampling import default_member
from ganfleet.strategies import get_strategy
from ganfleet.strategies.sgan import SganStrategy
from ganfleet.train.run_plan import configured_strategy, plan_run
from tests.conftest import tiny_config
from tests.sgan.test_stepping import CPU, build, toy_config, toy_data

# ----------------------------------------------------------------------------- members


def test_members_of_sgan_on_all_data() -> None:
    members = SganStrategy(n_locals=3).members(toy_data())
    assert [m.name for m in members] == ["global", "local-00", "local-01", "local-02"]
    assert all(m.classes == tuple(range(8)) and not m.conditional for m in members)
    assert default_member(members) == "global"  # the fleet's default generator is G_0


def test_members_split_by_class() -> None:
    members = SganStrategy(split_by_class=True).members(toy_data())
    assert [m.name for m in members] == ["global"] + [f"class-{k:04d}" for k in range(8)]
    assert members[0].conditional and members[0].label is None
    assert [(m.label, m.classes) for m in members[1:]] == [(k, (k,)) for k in range(8)]
    assert default_member(members) is None  # routes by label to the class pairs; member="global" asks G_0


def test_every_pair_gets_the_largest_local_budget(tiny_images, tmp_path: Path) -> None:
    # classes of 10, 7 and 5 images, batch 4, 2 epochs: class-parallel budgets 5, 4, 3.
    config = tiny_config(
        tmp_path, train__strategy="sgan", sgan__split_by_class=True, budget__steps=None, budget__epochs=2
    )
    plan = plan_run(config, tiny_images)
    pairs = [make_pair(config, tiny_images, m, CPU) for m in plan.members]
    assert [p.target_steps for p in pairs[1:]] == [5, 4, 3]
    assert [plan.budgets[m.name] for m in plan.members] == [5, 5, 5, 5]


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"train.strategy": "class-parallel", "sgan.locals": 3}, "sgan.locals: only used by strategy sgan"),
        ({"train.strategy": "cgan", "sgan.share_weights": True}, "sgan.share_weights: only used by strategy sgan"),
        ({"train.strategy": "sgan", "sgan.split_by_class": True, "sgan.locals": 3}, "leave locals unset"),
        ({"train.strategy": "sgan", "sgan.messenger_steps": 0}, "sgan.messenger_steps: expected a positive number"),
    ],
)
def test_bad_sgan_settings(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_values(RunConfig(), values)


def test_strategy_and_executor_read_their_settings_from_the_config() -> None:
    config = toy_config(sgan__locals=7, sgan__messenger_steps=2, sgan__share_weights=True)
    strategy = configured_strategy(config)
    assert isinstance(strategy, SganStrategy)
    assert (strategy.n_locals, strategy.split_by_class) == (7, False)
    executor, _ = build(config, toy_data())
    assert (executor.messenger_steps, executor.n_locals, executor.shared_fractions is not None) == (2, 7, True)
    assert get_strategy("sgan").n_locals == 5  # type: ignore[attr-defined]
    assert copy.copy(get_strategy("class-parallel")).name == "class-parallel"
