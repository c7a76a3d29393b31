"""Named recipes: their values, and their place under the config file, the flags and --set."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ganfleet.cli import main
from ganfleet.config import BudgetConfig, DataConfig, RunConfig
from ganfleet.errors import ConfigError
from ganfleet.recipes import RECIPES, demo_config, recipe_config


def test_every_recipe_is_a_valid_config_and_sets_only_how_pairs_train() -> None:
    assert list(RECIPES) == ["paper", "recommended"]
    defaults = RunConfig()
    mine = replace(  # what a recipe leaves alone, set away from the defaults
        defaults,
        data=DataConfig(name="fashion-mnist", max_per_class=50),
        model=replace(defaults.model, width=0.5),
        budget=BudgetConfig(steps=7),
        cadence=replace(defaults.cadence, log_every=3, grid_every=0),
    )
    for name, recipe in RECIPES.items():
        config = recipe_config(name)
        assert recipe(config) == config, name  # its values are all in the config it gives
        over = recipe(mine)
        assert (over.budget, over.data, over.cadence, over.model.width) == (
            mine.budget,
            mine.data,
            mine.cadence,
            mine.model.width,
        ), name
    recommended = recipe_config("recommended")
    assert recommended.model.spectral_norm == "discriminator" and recommended.resolved_d_norm == "none"
    assert recommended.resolved_d_dropout == 0.0 and recommended.ema.kimg > 0 and recommended.augment.policy == "none"
    paper = recipe_config("paper")
    assert (paper.model.arch, paper.resolved_d_dropout, paper.resolved_d_norm, paper.loss.name) == (
        "paper",
        0.25,
        "batch",
        "ns",
    )
    with pytest.raises(ConfigError, match="unknown recipe 'fast'; expected one of paper, recommended"):
        recipe_config("fast")


def test_the_demo_is_the_recommended_recipe(tmp_path: Path) -> None:
    demo = demo_config(str(tmp_path))
    assert RECIPES["recommended"](demo) == demo  # every value of the recipe is already the demo's


def test_the_demo_spends_two_thirds_of_its_images_on_a_conditional_warm_start(tmp_path: Path) -> None:
    demo = demo_config(str(tmp_path), data="fashion-mnist")  # 10 classes, the images of 675 steps per pair
    assert demo.shared.conditional and demo.budget.steps == 225
    assert demo.shared.kimg * 1000 == 10 * 450 * demo.train.batch_size  # 288 kimg: twice the class pairs'


def test_recipe_sits_under_the_config_file_flags_and_set(tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("loss:\n  name: ns\nema:\n  kimg: 5\n")
    assert (
        main(
            [
                "train",
                "--recipe",
                "recommended",
                "--config",
                str(path),
                "--lr-d",
                "4e-4",
                "--set",
                "ema.rampup=null",
                "--dry-run",
            ]
        )
        == 0
    )
    config = json.loads(capsys.readouterr().out)
    assert config["model"]["spectral_norm"] == "discriminator"  # the recipe
    assert config["loss"]["name"] == "ns" and config["ema"]["kimg"] == 5.0  # the file over the recipe
    assert config["optim"]["lr_d"] == 4e-4 and config["ema"]["rampup"] is None  # flags and --set over both
