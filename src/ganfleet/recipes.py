"""Named recipes and presets: typed functions of a config (`ganfleet train --recipe NAME --preset NAME`).

A recipe sits under the config file, the flags and `--set`, so any of its
values can still be changed. It sets how pairs are built and trained, not how
big they are or how long they train (`model.width`, `budget.*` stay yours):

- `paper`: the distributed DC-CGAN paper's settings (Tables 1-4 with the
  reference code's BatchNorm eps 0.8 and Dropout 0.25, non-saturating loss,
  Adam 2e-4 with betas 0.5, 0.999), to reproduce it;
- `recommended`: the per-pair recipe measured best on Fashion-MNIST
  (docs/RESULTS.md): a spectral-norm discriminator without dropout or
  normalisation, hinge loss, no DiffAugment (measured to cost FID and CAS on
  Fashion-MNIST and digits, for fleets and single networks alike), the
  generator's EMA (which fleets sample from), and Adam at 1e-3 with
  betas (0, 0.9) for both networks: the spectral norm bounds the
  discriminator, so the fivefold learning rate of the paper's 2e-4 is stable
  and is what makes a few hundred steps per pair enough; and a discriminator
  twice as wide as the generator (`model.d_width_factor` 2: at width 0.25 the
  papers' equal widths leave it ~6k parameters against the generator's ~220k).

Presets (`--preset NAME`, `PRESETS`) set the size instead: `cpu` a quarter of
the paper's width, `paper` the paper's. The demo's config (`demo_config`) is
the recommended recipe with the `cpu` preset and a budget of a few minutes.

Each recipe and preset is a function `RunConfig -> RunConfig` that replaces
fields of the typed sections (`dataclasses.replace`, so every section checks
itself), registered by name with `@recipe` or `@preset`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ganfleet import smoke
from ganfleet.config import BudgetConfig, DataConfig, RunConfig
from ganfleet.data import load_raw
from ganfleet.errors import ConfigError, DataError
from ganfleet.pairs.build import capped_budget

Change = Callable[[RunConfig], RunConfig]


@dataclass(frozen=True)
class Recipe:
    """A named change of a config, and what it is for."""

    name: str
    description: str
    change: Change

    def __call__(self, config: RunConfig) -> RunConfig:
        """`config` with this recipe's values, cross-checked as a whole."""
        out = self.change(config)
        out.check()
        return out


RECIPES: dict[str, Recipe] = {}
PRESETS: dict[str, Recipe] = {}  # sizes: how big the networks are, beside a recipe's how they train


def _register(registry: dict[str, Recipe], name: str, description: str) -> Callable[[Change], Change]:
    def register(change: Change) -> Change:
        registry[name] = Recipe(name, description, change)
        return change

    return register


def recipe(name: str, description: str) -> Callable[[Change], Change]:
    """Register a function as the recipe `name` (`--recipe NAME`)."""
    return _register(RECIPES, name, description)


def preset(name: str, description: str) -> Callable[[Change], Change]:
    """Register a function as the preset `name` (`--preset NAME`)."""
    return _register(PRESETS, name, description)


@recipe(
    "paper",
    "the distributed DC-CGAN paper's networks, non-saturating loss and Adam 2e-4 (0.5, 0.999)",
)
def paper_recipe(config: RunConfig) -> RunConfig:
    return replace(
        config,
        model=replace(
            config.model, arch="paper", spectral_norm="none", d_norm="auto", d_dropout=None, d_width_factor=1.0
        ),
        loss=replace(config.loss, name="ns", lecam_weight=0.0, diversity_weight=0.0),
        augment=replace(config.augment, policy="none"),
        ema=replace(config.ema, kimg=0.0),
        optim=replace(config.optim, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999),
    )


@recipe(
    "recommended",
    "spectral-norm discriminator twice as wide as G, hinge loss, no augmentation, generator EMA and Adam 1e-3 "
    "(0.0, 0.9)",
)
def recommended_recipe(config: RunConfig) -> RunConfig:
    model = replace(
        config.model, arch="dcgan", spectral_norm="discriminator", d_norm="auto", d_dropout=None, d_width_factor=2.0
    )
    return replace(
        config,
        model=model,
        loss=replace(config.loss, name="hinge", lecam_weight=0.0),
        augment=replace(config.augment, policy="none"),
        ema=replace(config.ema, kimg=2.0, rampup=0.1),
        optim=replace(config.optim, lr_g=1e-3, lr_d=1e-3, beta1=0.0, beta2=0.9),
    )


@preset("cpu", "a quarter of the paper's width (the demo's), much faster on a CPU")
def cpu_preset(config: RunConfig) -> RunConfig:
    return replace(config, model=replace(config.model, width=0.25))


@preset("paper", "the papers' width 1.0, meant for a GPU")
def paper_preset(config: RunConfig) -> RunConfig:
    return replace(config, model=replace(config.model, width=1.0))


def recipe_config(name: str, base: RunConfig | None = None, registry: dict[str, Recipe] = RECIPES) -> RunConfig:
    """`base` (default: the defaults) with recipe (or preset, from `PRESETS`) `name`."""
    try:
        chosen = registry[name]
    except KeyError:
        kind = "preset" if registry is PRESETS else "recipe"
        raise ConfigError(f"--{kind}: unknown {kind} {name!r}; expected one of {', '.join(registry)}") from None
    return chosen(base or RunConfig())


def fashion_mnist_available() -> bool:
    try:
        load_raw(DataConfig(name="fashion-mnist"))
    except DataError:
        return False
    return True


DEMO_WARM_SHARE = 2 / 3  # of the demo's images, spent on the conditional warm start (docs/RESULTS.md, "The demo")
DEMO_DIVERSITY = 0.05  # MSGAN's mode-seeking weight: CAS over 0.80 with conditional accuracy still over 0.90


def demo_config(out: str, data: str | None = None, total: int | None = None) -> RunConfig:
    """A class-parallel fleet of the recommended recipe that trains in a few minutes on 2 CPU cores.

    Fashion-MNIST when it is installed, else scikit-learn's digits; a quarter
    of the paper's width (a few steps under GANFLEET_SMOKE), sized to train
    in under 10 minutes on 2 CPU cores. Two thirds of its images go to a
    conditional warm start on every class (one DC-CGAN), the rest to the
    class pairs that start from it, whose generators add MSGAN's diversity
    term at weight `DEMO_DIVERSITY`. For Fashion-MNIST, the images of
    `total` = 675 steps per pair (432 kimg): 288 kimg, then 225 steps per pair.
    """
    data = data or ("fashion-mnist" if fashion_mnist_available() else "digits")
    config = PRESETS["cpu"](RECIPES["recommended"](RunConfig()))
    total = total or (675 if data == "fashion-mnist" else 450)  # steps per pair without the warm start
    classes = 10  # both data sets
    warm_steps = round(DEMO_WARM_SHARE * total)
    demo = replace(
        config,
        data=replace(config.data, name=data),
        train=replace(config.train, strategy="class-parallel"),
        budget=BudgetConfig(steps=total - warm_steps),
        shared=replace(config.shared, kimg=classes * warm_steps * config.train.batch_size / 1000, conditional=True),
        loss=replace(config.loss, diversity_weight=DEMO_DIVERSITY),
        cadence=replace(config.cadence, log_every=25, grid_every=100, checkpoint_every=100),
        out=out,
    )
    demo.check()
    return capped_budget(demo, smoke.limit(smoke.STEPS))
