"""RunConfig: every section of a training run's configuration, and the checks that span sections."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ganfleet.config.fields import option
from ganfleet.config.sections import (
    AugmentConfig,
    BudgetConfig,
    CadenceConfig,
    DataConfig,
    EmaConfig,
    EvalConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    SganConfig,
    SharedConfig,
    TrainConfig,
)
from ganfleet.errors import ConfigError
from ganfleet.losses import LOSSES
from ganfleet.models import default_architecture, get_architecture
from ganfleet.models.dcgan import PAPER_DROPOUT


@dataclass
class RunConfig:
    """Everything a training run needs; saved as `config.json` in the run directory."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    ema: EmaConfig = field(default_factory=EmaConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    shared: SharedConfig = field(default_factory=SharedConfig)
    cadence: CadenceConfig = field(default_factory=CadenceConfig)
    sgan: SganConfig = field(default_factory=SganConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    out: str = option("runs/run", "run directory (created; holds manifest, checkpoints, grids, logs)")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @property
    def resolved_arch(self) -> str:
        """The architecture actually built (resolves `auto`)."""
        if self.model.arch != "auto":
            return self.model.arch
        return default_architecture(points=self.data.name == "toy")

    @property
    def resolved_d_norm(self) -> str:
        """The discriminator normalisation actually built (resolves `auto`)."""
        if self.model.d_norm != "auto":
            return self.model.d_norm
        own = get_architecture(self.resolved_arch).d_norms
        if self.model.spectral_norm != "none" and "none" in own:
            return "none"
        return "layer" if LOSSES[self.loss.name].wasserstein and "layer" in own else own[0]

    @property
    def resolved_d_dropout(self) -> float:
        """The discriminator's channel dropout actually built (resolves None)."""
        if get_architecture(self.resolved_arch).points:
            return 0.0  # the mlp has no dropout
        if self.model.d_dropout is not None:
            return self.model.d_dropout
        return 0.0 if self.model.spectral_norm != "none" else PAPER_DROPOUT

    def check(self) -> None:
        """Cross-section checks (each section checks itself in __post_init__)."""
        if not str(self.out).strip():
            raise ConfigError("out: the run directory is empty; name a folder for the run (--out DIR)")
        arch = get_architecture(self.resolved_arch)
        if (self.data.name == "toy") != arch.points:
            raise ConfigError(
                f"model.arch: {arch.name!r} does not fit data {self.data.name!r}: toy data needs mlp, images a conv "
                "architecture"
            )
        if self.model.d_norm not in ("auto", *arch.d_norms):
            offers = "has no normalisation" if arch.d_norms == ("none",) else "offers " + ", ".join(arch.d_norms)
            raise ConfigError(
                f"model.d_norm: the {arch.name} discriminator {offers}; expected auto or "
                f"{' or '.join(arch.d_norms)}, got {self.model.d_norm!r}"
            )
        if self.sgan.share_weights and self.train.pack not in ("off", "fast"):  # fast steps tied pairs one at a time
            raise ConfigError(
                f"train.pack: sgan.share_weights ties the local pairs' layers, which packs would copy apart; "
                f"expected off, got {self.train.pack!r}"
            )
        if self.augment.policy not in ("none", "") and arch.points:
            raise ConfigError(
                f"augment.policy: augmentation is for images; the {arch.name} trains on points (expected none)"
            )
        if self.budget.allocate == "adaptive" and self.train.strategy != "class-parallel":
            raise ConfigError(
                f"budget.allocate: adaptive shares steps out among class pairs, which only strategy class-parallel "
                f"has (strategy is {self.train.strategy!r})"
            )
        if self.shared.kimg and self.train.strategy != "class-parallel":
            raise ConfigError(
                f"shared.kimg: a warm start forks class pairs, which only strategy class-parallel has "
                f"(strategy is {self.train.strategy!r})"
            )
        if self.shared.freeze_d and not self.shared.kimg:
            raise ConfigError(
                "shared.freeze_d: freezes layers of the class pairs forked from a warm start; set shared.kimg too"
            )
        if self.shared.conditional and not self.shared.kimg:
            raise ConfigError("shared.conditional: conditions the warm start's pair on the label; set shared.kimg too")
        if self.shared.conditional and self.model.spectral_norm == "both":
            raise ConfigError(
                "shared.conditional: a label cannot be folded into a generator layer under spectral norm "
                "(model.spectral_norm both); expected model.spectral_norm none or discriminator"
            )
        if self.train.strategy != "sgan" and not self.sgan.is_default():
            changed = [
                f.name
                for f in dataclasses.fields(SganConfig)
                if getattr(self.sgan, f.name) != getattr(SganConfig(), f.name)
            ]
            raise ConfigError(f"sgan.{changed[0]}: only used by strategy sgan (strategy is {self.train.strategy!r})")
