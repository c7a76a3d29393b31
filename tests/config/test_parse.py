"""Config: precedence, YAML, overrides, validation messages, registries in step with the code."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from ganfleet.config import (
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TrainConfig,
    apply_override,
    apply_values,
    build_config,
    load_config,
    upgrade_tree,
)
from ganfleet.config.fields import choices
from ganfleet.data import SOURCES
from ganfleet.errors import ConfigError
from ganfleet.losses import LOSSES as LOSS_REGISTRY
from ganfleet.models import ARCHITECTURES
from ganfleet.strategies import STRATEGIES as STRATEGY_REGISTRY


def field_choices(cls: type, name: str) -> tuple[str, ...]:
    return choices(typing.get_type_hints(cls)[name])


def test_registries_match_the_config_choices() -> None:
    assert field_choices(TrainConfig, "strategy") == tuple(STRATEGY_REGISTRY)
    assert field_choices(LossConfig, "name") == tuple(LOSS_REGISTRY)
    assert field_choices(DataConfig, "name") == tuple(SOURCES)
    assert field_choices(ModelConfig, "arch") == ("auto", *ARCHITECTURES)


def test_defaults_are_the_papers_optimiser() -> None:
    cfg, batch = OptimConfig(), TrainConfig().batch_size
    assert (cfg.lr_g, cfg.lr_d, cfg.beta1, cfg.beta2, batch) == (2e-4, 2e-4, 0.5, 0.999, 64)
    assert LossConfig().critic_steps == 1
    assert LossConfig(name="wgan-gp").critic_steps == 5
    assert LossConfig(name="wgan-gp", n_critic=2).critic_steps == 2


def test_yaml_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  name: toy\n  mixture: grid25\nbudget:\n  epochs: 3\n")
    config = load_config(path)
    assert (config.data.name, config.data.mixture, config.budget.epochs, config.resolved_arch) == (
        "toy",
        "grid25",
        3.0,
        "mlp",
    )
    config = apply_override(config, "budget.epochs=7")
    config = apply_override(config, "data.classes=[0, 4]")
    assert (config.budget.epochs, config.data.classes) == (7.0, [0, 4])
    assert apply_values(config, {"data.classes": "1,2"}).data.classes == [1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train:\n  nope: 1\n", "c.yaml: train.nope: unknown key; valid keys are strategy, batch_size,"),
        ("train:\n  loss: ns\n", "c.yaml: train.loss: moved to loss.name"),
        ("train:\n  batch_size: 0\n", "c.yaml: train.batch_size: expected a positive number, got 0"),
        ("train:\n  batch_size: 2.5\n", "c.yaml: train.batch_size: expected int, got 2.5"),
        (
            "model:\n  arch: resnet\n",
            "c.yaml: model.arch: unknown value 'resnet'; expected one of auto, paper, dcgan, sngan, mlp",
        ),
        ("data:\n  name: toy\nmodel:\n  arch: paper\n", "c.yaml: model.arch: 'paper' does not fit data 'toy'"),
        ("data: [1, 2]\n", "c.yaml: data: expected a mapping"),
        ("budget: {epochs: [\n", "c.yaml: not valid YAML"),
        ("optim:\n  lr_g: .nan\n", "c.yaml: optim.lr_g: expected a finite number, got nan"),
    ],
)
def test_bad_config_files_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        (
            "epochs=2",
            "epochs: unknown key; valid keys are data, model, train, loss, augment, ema, optim, budget, shared, "
            "cadence, sgan, eval, out",
        ),
        ("train.epochs=2", "train.epochs: moved to budget.epochs"),
        ("train=2", "train: is a section; set one of its keys, e.g. train.strategy"),
        ("nope.epochs=2", "nope.epochs: unknown section 'nope'"),
        ("budget.epochs", "expected section.key=value"),
        ("data.image_size=24", "data.image_size: expected a power of two from 32 to 4096, got 24"),
        ("cadence.keep_checkpoints=1", "cadence.keep_checkpoints: expected >= 2"),
        ("optim.beta1=1.0", r"optim.beta1: expected a value in \[0, 1\)"),
    ],
)
def test_bad_overrides(assignment: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_override(RunConfig(), assignment)


def test_data_path_expands_the_home_folder() -> None:
    assert not DataConfig(path="~/x").path.startswith("~")


def test_config_round_trips_through_its_dict() -> None:
    config = apply_values(RunConfig(), {"loss.name": "hinge", "model.width": 0.5, "data.classes": [1, 3]})
    assert build_config(config.to_dict()) == config


def test_a_saved_config_from_before_the_sections_is_upgraded() -> None:
    old = {
        "data": {"name": "digits"},
        "train": {"strategy": "gan", "loss": "hinge", "epochs": 2.0, "lr_g": 1e-3},
        "out": "r",
    }
    assert upgrade_tree(old) == {
        "data": {"name": "digits"},
        "train": {"strategy": "gan"},
        "loss": {"name": "hinge"},
        "budget": {"epochs": 2.0},
        "optim": {"lr_g": 1e-3},
        "out": "r",
    }
    assert build_config(upgrade_tree(old)).loss.name == "hinge"
