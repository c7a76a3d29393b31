"""How a run's pairs are stepped each iteration: the protocol, and the plainest way (one pair at a time).

Other executors: `ganfleet.packing.PackedPairs` (K pairs through packed
networks) and `ganfleet.sgan.SganExecutor` (the locals by another executor,
then SGAN's global pair). The training loop only calls `step` and `sync`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ganfleet.pairs.pair import Pair
from ganfleet.pairs.step import StepGroup, StepLogs, StepRule, adversarial_step


class Executor(Protocol):
    """Advances due pairs by one step; `sync` makes every Pair's own modules and optimisers current."""

    def step(self, due: Sequence[Pair], rule: StepRule) -> list[StepLogs]:
        """One step of every pair in `due` (a tuple that stays the same object while the due pairs do: an executor
        may keep what it built for it); the logged values of each step group."""
        ...

    def sync(self) -> None: ...


def compile_networks(group: StepGroup) -> None:
    """torch.compile a step group's generator and discriminator in place (`nn.Module.compile`: state_dict names stay).

    Networks of one architecture share the compiled code; each further one costs a few seconds of guards.
    """
    group.generator.compile()
    group.discriminator.compile()


class LoopedPairs:
    """`adversarial_step` on each due pair in turn; the pairs' own modules are always current."""

    def __init__(self, compile: bool = False) -> None:
        self.compile = compile
        self.compiled: set[int] = set()

    def step(self, due: Sequence[Pair], rule: StepRule) -> list[StepLogs]:
        if self.compile:
            for pair in due:
                if id(pair) not in self.compiled:
                    compile_networks(pair)
                    self.compiled.add(id(pair))
        return [adversarial_step(pair, rule) for pair in due]

    def sync(self) -> None:
        pass
