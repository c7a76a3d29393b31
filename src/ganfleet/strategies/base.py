"""What a strategy is: which pairs exist, what data each learns from and how long each trains.

A strategy says nothing about how its pairs are stepped (one at a time, in
packs, or, for SGAN, with the global pair's update after the locals'): the
training loop chooses that from explicit inputs (`ganfleet.train.execution`).
"""

from __future__ import annotations

from typing import ClassVar

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.member import Member


class Strategy:
    """Base strategy: its members are independent pairs, each with its own budget."""

    name: ClassVar[str]
    description: ClassVar[str]
    # A member trained *from* the others (SGAN's global pair), None when every pair is independent.
    # It is replicated on every rank of a multi-process job; the others are spread over the ranks.
    global_member: ClassVar[str | None] = None

    @property
    def replicated(self) -> tuple[str, ...]:
        """Members every rank holds and steps together (their updates are all-reduced)."""
        return () if self.global_member is None else (self.global_member,)

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        """The pairs this strategy trains on `dataset` (preferred single generator first)."""
        raise NotImplementedError

    @property
    def warm_start(self) -> str | None:
        """A member trained first, alone, whose final state every other member starts from (None: none)."""
        return None

    def budgets(self, budgets: dict[str, int]) -> dict[str, int]:
        """Each member's step budget, given its own (`target_steps` over its images); most strategies keep those."""
        return budgets
