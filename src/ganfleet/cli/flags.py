"""Command-line flags generated from the config fields, shared by every subcommand.

Each flag is (flag, dotted config key, type); its help text is the config
field's help and default, so the documentation of an option lives in one place.
Any key without a flag is reachable with `--set section.key=value`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable
from typing import Any

from ganfleet.config import (
    AugmentConfig,
    BudgetConfig,
    CadenceConfig,
    DataConfig,
    EmaConfig,
    EvalConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    SganConfig,
    SharedConfig,
    TrainConfig,
    apply_override,
    apply_values,
    field_help,
    load_config,
)

Flag = tuple[str, str, type]
MAX_SAMPLES = 1_000_000  # samples one sample or evaluate call generates at most (all are held in memory)


def count(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [minimum, maximum]; a bad value is argparse's one-line usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
            raise argparse.ArgumentTypeError(f"expected an integer {bound}, got {value}")
        return value

    parse.__name__ = "count"
    return parse


SEED = count(1 - 2**63, 2**63 - 1)  # what train.seed takes: torch's generators hold 64 bits


def positive_number(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


DATA_FLAGS: list[Flag] = [
    ("--data", "data.name", str),
    ("--data-dir", "data.path", str),
    ("--split", "data.split", str),
    ("--classes", "data.classes", str),
    ("--max-per-class", "data.max_per_class", int),
    ("--image-size", "data.image_size", int),
    ("--mixture", "data.mixture", str),
]
DOMAIN_FLAGS = [
    f for f in DATA_FLAGS if f[0] in ("--data", "--data-dir", "--classes", "--image-size", "--mixture")
]  # what defines a classifier's data
TRAIN_FLAGS: list[Flag] = [
    ("--strategy", "train.strategy", str),
    ("--loss", "loss.name", str),
    ("--n-critic", "loss.n_critic", int),
    ("--epochs", "budget.epochs", float),
    ("--steps", "budget.steps", int),
    ("--kimg", "budget.kimg", float),
    ("--shared-kimg", "shared.kimg", float),
    ("--shared-optimizer", "shared.optimizer", str),
    ("--freeze-d", "shared.freeze_d", int),
    ("--conditional-warm-start", "shared.conditional", bool),
    ("--batch-size", "train.batch_size", int),
    ("--lr-g", "optim.lr_g", float),
    ("--lr-d", "optim.lr_d", float),
    ("--seed", "train.seed", int),
    ("--device", "train.device", str),
    ("--pack", "train.pack", str),
    ("--threads", "train.threads", str),
    ("--compile", "train.compile", bool),
    ("--log-every", "cadence.log_every", int),
    ("--grid-every", "cadence.grid_every", int),
    ("--checkpoint-every", "cadence.checkpoint_every", int),
    ("--locals", "sgan.locals", int),
    ("--split-by-class", "sgan.split_by_class", bool),
    ("--messenger-steps", "sgan.messenger_steps", int),
    ("--share-weights", "sgan.share_weights", bool),
    ("--g0-against", "sgan.g0_against", str),
    ("--eval-every", "eval.every", int),
    ("--arch", "model.arch", str),
    ("--width", "model.width", float),
    ("--d-width-factor", "model.d_width_factor", float),
    ("--d-norm", "model.d_norm", str),
    ("--spectral-norm", "model.spectral_norm", str),
    ("--augment", "augment.policy", str),
    ("--ema-kimg", "ema.kimg", float),
    ("--lecam", "loss.lecam_weight", float),
    ("--diversity", "loss.diversity_weight", float),
    ("--out", "out", str),
]
SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "train": TrainConfig,
    "loss": LossConfig,
    "optim": OptimConfig,
    "augment": AugmentConfig,
    "ema": EmaConfig,
    "budget": BudgetConfig,
    "shared": SharedConfig,
    "cadence": CadenceConfig,
    "sgan": SganConfig,
    "eval": EvalConfig,
    "": RunConfig,
}


def help_for(key: str) -> str:
    """The config field's help text and default."""
    section, _, name = key.rpartition(".")
    cls = SECTIONS[section]
    default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
    return f"{field_help(cls).get(name, '')} (default: {default})"


def add_flags(parser: argparse.ArgumentParser, flags: list[Flag], title: str) -> None:
    """An argument group of `flags`, each storing into its dotted key (None when not given)."""
    group = parser.add_argument_group(title)
    for flag, key, tp in flags:
        if tp is bool:  # a switch: present sets the key to true, absent leaves the config's value
            group.add_argument(
                flag, dest=key, action="store_const", const=True, default=None, help=f"{help_for(key)} [{key}]"
            )
            continue
        group.add_argument(
            flag,
            dest=key,
            type=tp,
            default=None,
            metavar=key.rpartition(".")[2].upper(),
            help=f"{help_for(key)} [{key}]",
        )


def add_config_flags(parser: argparse.ArgumentParser, recipes: bool = False) -> None:
    """--config FILE, repeatable --set KEY=VALUE (and --recipe NAME, --preset NAME)."""
    if recipes:
        from ganfleet.recipes import PRESETS, RECIPES

        parser.add_argument(
            "--recipe",
            choices=tuple(RECIPES),
            help="a named recipe of how pairs train (default for a new run: recommended; a resumed run keeps its "
            "own), under the config file, the flags and --set: "
            + "; ".join(f"{name}: {recipe.description}" for name, recipe in RECIPES.items()),
        )
        parser.add_argument(
            "--preset",
            choices=tuple(PRESETS),
            help="a named size, over the recipe and under the config file, "
            "the flags and --set: " + "; ".join(f"{name}: {p.description}" for name, p in PRESETS.items()),
        )
    parser.add_argument("--config", help="YAML config file (see configs/); flags and --set override it")
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override any config key, e.g. --set budget.epochs=2 (repeatable)",
    )


def flag_values(args: argparse.Namespace, flags: list[Flag]) -> dict[str, Any]:
    return {key: getattr(args, key) for _, key, _ in flags if getattr(args, key, None) is not None}


def config_from_args(args: argparse.Namespace, flags: list[Flag], base: RunConfig | None = None) -> RunConfig:
    """The config of `args`, each layer over the one before it.

    base (the defaults, or a resumed run's saved config) < --recipe < --preset
    < --config file < flags < --set overrides.
    """
    from ganfleet.recipes import PRESETS, RECIPES, recipe_config

    config = base or RunConfig()
    recipe, preset = getattr(args, "recipe", None), getattr(args, "preset", None)
    if recipe:
        config = recipe_config(recipe, config, RECIPES)
    if preset:
        config = recipe_config(preset, config, PRESETS)
    if getattr(args, "config", None):
        config = load_config(args.config, config if (recipe or preset or base) else None)
    config = apply_values(config, flag_values(args, flags))
    for assignment in getattr(args, "set", None) or []:
        config = apply_override(config, assignment)
    return config
