"""The config's choices of names: `Literal`s of the registries that own them (an unknown name is an error)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganfleet.config.fields import names
from ganfleet.data import MIXTURES, SOURCES
from ganfleet.losses import LOSSES
from ganfleet.models import ARCHITECTURES
from ganfleet.models.dcgan import DISCRIMINATOR_NORMS
from ganfleet.strategies import STRATEGIES

if TYPE_CHECKING:  # the registries' names are known at run time only: to a type checker they are strings
    SourceName = str
    MixtureName = str
    ArchName = str
    NormName = str
    LossName = str
    StrategyName = str
else:  # Literals of the names, which the checks and the flags' choices read
    SourceName = names(SOURCES)
    MixtureName = names(MIXTURES)
    ArchName = names(ARCHITECTURES, "auto")
    NormName = names(DISCRIMINATOR_NORMS, "auto")
    LossName = names(LOSSES)
    StrategyName = names(STRATEGIES)
