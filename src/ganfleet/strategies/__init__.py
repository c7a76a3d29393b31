"""Training strategies by name: which pairs a run trains. An unknown name is an error listing the valid ones.

base.py          Strategy: which pairs exist, what data each learns from, how long each trains
member.py        Member: one generator/discriminator pair that a strategy trains
independent.py   gan (DC-GAN), cgan (DC-CGAN), class-parallel (distributed DC-CGAN)
sgan.py          SGAN: local pairs and a global pair trained from them
"""

from __future__ import annotations

from ganfleet.errors import ConfigError
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.independent import CganStrategy, ClassParallelStrategy, GanStrategy, class_member_name
from ganfleet.strategies.member import Member
from ganfleet.strategies.sgan import GLOBAL, SganStrategy

STRATEGIES: dict[str, type[Strategy]] = {
    s.name: s for s in (GanStrategy, CganStrategy, ClassParallelStrategy, SganStrategy)
}


def get_strategy(name: str, **options: object) -> Strategy:
    """The strategy `name` with `options` (sgan: n_locals, split_by_class)."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ConfigError(
            f"train.strategy: unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}"
        ) from None
    return cls(**options)


__all__ = ["GLOBAL", "STRATEGIES", "Member", "Strategy", "class_member_name", "get_strategy"]
