"""What a strategy is: which pairs exist, and how one training iteration advances them.

A strategy owns its members and its step, never the bookkeeping (logging,
checkpoints, grids, budget): that is the training loop's job, shared by all.
"""

from __future__ import annotations

from typing import Callable, ClassVar, Sequence

import torch

from ganfleet.config import TrainConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.train.pack_plan import plan_execution
from ganfleet.train.packing import PackedPairs
from ganfleet.train.pair import Member, Pair, StepRule, adversarial_step


class Strategy:
    """Base strategy: members are independent pairs, each advanced by `adversarial_step`.

    `pack` (train.pack: off, K or auto) says whether the pairs are stepped one
    at a time or K at a time through packed networks (train/packing.py); the
    results are the same up to floating-point rounding.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    # Members every rank of a multi-process job holds and steps together (their
    # updates are collectives, see `connect`); the others are spread over ranks.
    replicated: ClassVar[tuple[str, ...]] = ()

    def __init__(self, pack: str = "off") -> None:
        self.pack = pack
        self.packed: PackedPairs | None = None
        self.execution = "pack: off"  # how the pairs are stepped, for the log

    @classmethod
    def from_config(cls, train: TrainConfig) -> Strategy:
        """The strategy as the `train` section configures it (most strategies have no options but packing)."""
        return cls(train.pack)

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        """The pairs this strategy trains on `dataset` (preferred single generator first)."""
        raise NotImplementedError

    def budgets(self, budgets: dict[str, int]) -> dict[str, int]:
        """Each member's step budget, given its own (`target_steps` over its images); most strategies keep those."""
        return budgets

    def connect(self, sum_over_ranks: Callable[[torch.Tensor], None]) -> None:
        """Called on every rank of a multi-process job before `prepare`; `sum_over_ranks` sums a tensor
        over the ranks in place. Only strategies with `replicated` members need it."""

    def prepare(self, pairs: Sequence[Pair], rule: StepRule) -> None:
        """Called once after the pairs are built and restored, before the first step: chooses the packing."""
        self.packed, self.execution = plan_execution(self.pack, pairs, rule)

    def step(self, pairs: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
        """Advance every pair in `pairs` by one step; returns per-pair detached scalars."""
        if self.packed is not None:
            return self.packed.step(pairs, rule)
        return {pair.name: adversarial_step(pair, rule) for pair in pairs}

    def sync(self, pairs: Sequence[Pair]) -> None:
        """Make each Pair's own modules and optimisers current (before checkpoints, grids, evaluation).

        A strategy that trains pairs through other tensors (packed pairs, say)
        writes them back here; the default trains the pairs' modules directly.
        """
        if self.packed is not None:
            self.packed.sync()
