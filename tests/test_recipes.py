"""Named recipes: their values, and their place under the config file, the flags and --set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganfleet.cli import main
from ganfleet.config import flatten
from ganfleet.errors import ConfigError
from ganfleet.recipes import RECIPES, demo_config, recipe_config


def test_every_recipe_is_a_valid_config_and_sets_only_how_pairs_train() -> None:
    assert list(RECIPES) == ["paper", "recommended"]
    for name, recipe in RECIPES.items():
        config = recipe_config(name)
        flat = flatten(config.to_dict())
        assert all(flat[key] == value for key, value in recipe.values.items()), name
        assert not any(
            key.startswith(("budget.", "data.", "cadence.")) or key == "model.width" for key in recipe.values
        )
    recommended = recipe_config("recommended")
    assert recommended.model.spectral_norm == "discriminator" and recommended.resolved_d_norm == "none"
    assert recommended.resolved_d_dropout == 0.0 and recommended.ema.kimg > 0 and recommended.augment.policy != "none"
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
    demo = flatten(demo_config(str(tmp_path)).to_dict())
    assert all(demo[key] == value for key, value in RECIPES["recommended"].values.items())


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
