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


def get_strategy(name: str, train: TrainConfig | None = None) -> Strategy:
    """The strategy `name`, configured by `train` (its defaults when None)."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"train.strategy: unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}") from None
    return cls.from_config(train if train is not None else TrainConfig(strategy=name))


__all__ = ["Strategy", "STRATEGIES", "get_strategy", "class_member_name"]
