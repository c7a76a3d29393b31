"""Training strategies by name. An unknown name is an error listing the valid ones."""

from __future__ import annotations

from ganfleet.config import TrainConfig
from ganfleet.errors import ConfigError
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.cgan import CganStrategy
from ganfleet.strategies.class_parallel import ClassParallelStrategy, class_member_name
from ganfleet.strategies.gan import GanStrategy
from ganfleet.strategies.sgan import SganStrategy

STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (GanStrategy, CganStrategy, ClassParallelStrategy, SganStrategy)}


def _strategy_class(name: str) -> type[Strategy]:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"train.strategy: unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}") from None


def get_strategy(name: str, pack: str = "off") -> Strategy:
    """The strategy `name` with its default options, stepping its pairs as `pack` (train.pack) says."""
    return _strategy_class(name)(pack)


def configured_strategy(train: TrainConfig) -> Strategy:
    """The strategy `train.strategy` with every option the train section gives it (packing, sgan's locals, ...)."""
    return _strategy_class(train.strategy).from_config(train)


__all__ = ["Strategy", "STRATEGIES", "get_strategy", "configured_strategy", "class_member_name"]
