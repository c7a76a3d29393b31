"""Named recipes: configuration values that belong together (`ganfleet train --recipe NAME`).

A recipe sits under the config file, the flags and `--set`, so any of its
values can still be changed. It sets how pairs are built and trained, not how
big they are or how long they train (`model.width`, `budget.*` stay yours):

- `paper`: the distributed DC-CGAN paper's settings (Tables 1-4 with the
  reference code's BatchNorm eps 0.8 and Dropout 0.25, non-saturating loss,
  Adam 2e-4 with betas 0.5, 0.999), to reproduce it;
- `recommended`: the per-pair recipe measured best on Fashion-MNIST
  (docs/RESULTS.md): a spectral-norm discriminator without dropout or
  normalisation, hinge loss, DiffAugment on everything the discriminator sees,
  the generator's EMA (which fleets sample from), and Adam at 1e-3 with
  betas (0, 0.9) for both networks: the spectral norm bounds the
  discriminator, so the fivefold learning rate of the paper's 2e-4 is stable
  and is what makes a few hundred steps per pair enough.

Presets (`--preset NAME`, `PRESETS`) set the size instead: `cpu` a quarter of
the paper's width, `paper` the paper's. The demo's config (`demo_config`) is
the recommended recipe with the `cpu` preset and a budget of a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganfleet.config import DataConfig, RunConfig, apply_values
from ganfleet.data import load_raw
from ganfleet.errors import ConfigError, DataError


@dataclass(frozen=True)
class Recipe:
    """A named set of config values, and what it is for."""

    name: str
    description: str
    values: dict[str, object] = field(default_factory=dict)


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            "paper",
            "the distributed DC-CGAN paper's networks (BatchNorm eps 0.8, Dropout 0.25), non-saturating loss, "
            "Adam 2e-4 (0.5, 0.999)",
            {
                "model.arch": "paper",
                "model.spectral_norm": "none",
                "model.d_norm": "auto",
                "model.d_dropout": None,
                "loss.name": "ns",
                "loss.lecam_weight": 0.0,
                "augment.policy": "none",
                "ema.kimg": 0.0,
                "optim.lr_g": 2e-4,
                "optim.lr_d": 2e-4,
                "optim.beta1": 0.5,
                "optim.beta2": 0.999,
            },
        ),
        Recipe(
            "recommended",
            "spectral-norm discriminator without dropout or BatchNorm, hinge loss, DiffAugment "
            "(color, translation, cutout), generator EMA (half-life 2 kimg, ramp-up 0.1), "
            "Adam 1e-3 (0.0, 0.9) for both networks",
            {
                "model.arch": "dcgan",
                "model.spectral_norm": "discriminator",
                "model.d_norm": "auto",
                "model.d_dropout": None,
                "loss.name": "hinge",
                "loss.lecam_weight": 0.0,
                "augment.policy": "color,translation,cutout",
                "ema.kimg": 2.0,
                "ema.rampup": 0.1,
                "optim.lr_g": 1e-3,
                "optim.lr_d": 1e-3,
                "optim.beta1": 0.0,
                "optim.beta2": 0.9,
            },
        ),
    ]
}


# Sizes (`ganfleet train --preset NAME`): how big the networks are, beside a recipe's how they train.
PRESETS: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            "cpu",
            "a quarter of the paper's width (the demo's), several times faster on a CPU; budgets stay yours",
            {"model.width": 0.25},
        ),
        Recipe(
            "paper",
            "the papers' width 1.0 (1-4 h for 5 epochs of Fashion-MNIST on 2 CPU cores; meant for a GPU)",
            {"model.width": 1.0},
        ),
    ]
}


def recipe_config(name: str, base: RunConfig | None = None, registry: dict[str, Recipe] = RECIPES) -> RunConfig:
    """`base` (default: the defaults) with the values of recipe (or preset, from `PRESETS`) `name`."""
    try:
        recipe = registry[name]
    except KeyError:
        kind = "preset" if registry is PRESETS else "recipe"
        raise ConfigError(f"--{kind}: unknown {kind} {name!r}; expected one of {', '.join(registry)}") from None
    return apply_values(base or RunConfig(), recipe.values)


def fashion_mnist_available() -> bool:
    try:
        load_raw(DataConfig(name="fashion-mnist"))
    except DataError:
        return False
    return True


def demo_config(out: str) -> RunConfig:
    """A class-parallel fleet of the recommended recipe that trains in a few minutes on 2 CPU cores.

    Fashion-MNIST when it is installed, else scikit-learn's digits; a quarter
    of the paper's width, so each of the 10 pairs gets several hundred steps
    in the time budget.
    """
    data = "fashion-mnist" if fashion_mnist_available() else "digits"
    return apply_values(
        recipe_config("cpu", recipe_config("recommended"), PRESETS),
        {
            "data.name": data,
            "train.strategy": "class-parallel",
            "budget.steps": 600 if data == "fashion-mnist" else 400,
            "cadence.log_every": 25,
            "cadence.grid_every": 100,
            "cadence.checkpoint_every": 100,
            "out": out,
        },
    )
