"""How a run's pairs are stepped each iteration: the protocol, and the plainest way (one pair at a time).

Other executors: `ganfleet.packing.PackedPairs` (K pairs through packed
networks) and `ganfleet.sgan.SganExecutor` (the locals by another executor,
then SGAN's global pair). The training loop only calls `step` and `sync`.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import torch

from ganfleet.pairs.pair import Pair
from ganfleet.pairs.step import StepRule, adversarial_step


class Executor(Protocol):
    """Advances due pairs by one step; `sync` makes every Pair's own modules and optimisers current."""

    def step(self, due: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]: ...

    def sync(self) -> None: ...


class LoopedPairs:
    """`adversarial_step` on each due pair in turn; the pairs' own modules are always current."""

    def step(self, due: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
        out: dict[str, dict[str, torch.Tensor]] = {}
        for pair in due:
            out.update(adversarial_step(pair, rule))
        return out

    def sync(self) -> None:
        pass
