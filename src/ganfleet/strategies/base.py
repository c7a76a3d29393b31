"""What a strategy is: which pairs exist, and how one training iteration advances them.

A strategy owns its members and its step, never the bookkeeping (logging,
checkpoints, grids, budget): that is the training loop's job, shared by all.
"""

from __future__ import annotations

from typing import ClassVar, Sequence

import torch

from ganfleet.config import TrainConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.train.pair import Member, Pair, StepRule, adversarial_step


class Strategy:
    """Base strategy: members are independent pairs, each advanced by `adversarial_step`."""

    name: ClassVar[str]
    description: ClassVar[str]

    @classmethod
    def from_config(cls, train: TrainConfig) -> Strategy:
        """The strategy as the `train` section configures it (most strategies have no options)."""
        return cls()

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        """The pairs this strategy trains on `dataset` (preferred single generator first)."""
        raise NotImplementedError

    def prepare(self, pairs: Sequence[Pair], rule: StepRule) -> None:
        """Called once after the pairs are built and restored, before the first step."""

    def step(self, pairs: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
        """Advance every pair in `pairs` by one step; returns per-pair detached scalars."""
        return {pair.name: adversarial_step(pair, rule) for pair in pairs}

    def sync(self, pairs: Sequence[Pair]) -> None:
        """Make each Pair's own modules and optimisers current (before checkpoints, grids, evaluation).

        A strategy that trains pairs through other tensors (packed pairs, say)
        writes them back here; the default trains the pairs' modules directly.
        """
