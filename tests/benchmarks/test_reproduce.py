"""benchmarks/reproduce.py's systems: each builds a valid run, budget (b) gives every one the same images, and a
finished run of other settings is never tabulated as a cell's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from benchmarks.reproduce import ALL_SYSTEMS, RECIPES, Settings, check_same_settings

from ganfleet.config import apply_values
from ganfleet.pairs.build import images_per_step
from ganfleet.rundir import RunDir
from ganfleet.train import plan_run, train
from tests.conftest import make_tiny_images, tiny_config

STEPS = 600  # S: each class pair's steps without a warm start, as the RESULTS tables use


@pytest.mark.parametrize("system", [s for s in ALL_SYSTEMS if s.member is None], ids=lambda s: s.key)
@pytest.mark.parametrize("recipe", list(RECIPES))
def test_budget_b_gives_every_system_the_class_pairs_images(system, recipe: str, tmp_path: Path) -> None:
    """K x S x batch real images for the whole run, a warm start's included (SGAN's G_0, evaluated by member,
    costs extra on top of its locals and is left out, as the module says)."""
    dataset = make_tiny_images()
    k = dataset.n_classes
    settings = Settings(data="fashion-mnist", steps=STEPS, seeds=[0], recipes=[recipe], budgets=["b"])
    steps = settings.generator_steps(system, "b", k)
    config = settings.config(recipe, system, steps, 0, tmp_path / "run", k)
    # an adaptive budget shares out the equal budget's total (tests/train/test_allocate.py)
    plan = plan_run(replace(config, budget=replace(config.budget, allocate="equal")), dataset)
    images = sum(plan.budgets.values()) * images_per_step(config)
    assert images == k * STEPS * settings.batch_size, plan.budgets


def test_a_finished_run_of_other_settings_is_refused_and_another_thread_count_is_not(tmp_path: Path) -> None:
    """A grid folder grown under an earlier recipe (another augmentation, say) must not fill today's table."""
    config = tiny_config(tmp_path / "run", augment__policy="color,translation,cutout", train__threads=1)
    train(config, dataset=make_tiny_images())
    run = RunDir(config.out)
    check_same_settings(run, apply_values(config, {"train.threads": 2}))
    with pytest.raises(SystemExit, match=r"other settings.*augment\.policy"):
        check_same_settings(run, apply_values(config, {"augment.policy": "none"}))
