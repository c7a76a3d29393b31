"""Training strategies by name. An unknown name is an error listing the valid ones."""

from __future__ import annotations

from ganfleet.errors import ConfigError
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.cgan import CganStrategy
from ganfleet.strategies.class_parallel import ClassParallelStrategy, class_member_name
from ganfleet.strategies.gan import GanStrategy

STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (GanStrategy, CganStrategy, ClassParallelStrategy)}


def get_strategy(name: str, pack: str = "off") -> Strategy:
    """The strategy `name`, stepping its pairs as `pack` (train.pack) says."""
    try:
        return STRATEGIES[name](pack)
    except KeyError:
        raise ConfigError(f"train.strategy: unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}") from None


__all__ = ["Strategy", "STRATEGIES", "get_strategy", "class_member_name"]
