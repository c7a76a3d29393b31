"""SGAN's members (Chavdarova & Fleuret, "SGAN: An Alternative Training of GANs"): a global pair and N locals.

Members: the global pair (G_0, D_0), named `global`, then N local pairs.
The locals train exactly as independent pairs; every iteration the global pair
then takes one step against them (Algorithm 1; `ganfleet.sgan`) and never
writes to a local pair, so the locals are bit-identical with and without it.

- `sgan.locals N`: N local pairs `local-00`... on all data, an unconditional
  global pair; sampling a fleet defaults to G_0 (listed first).
- `sgan.split_by_class`: one local pair per class, named and seeded as the
  class-parallel strategy's (`class-0000`...), so they equal a class-parallel
  run's pairs; the global pair is conditional: label k is trained against class
  k's messenger. Sampling defaults to the class-parallel locals (routed by
  label); `member="global"` gives the one compact conditional generator.

All pairs iterate together (Algorithm 1): every pair's budget is that of the
local pair that needs most steps, so with an epoch budget and classes of
different sizes the small classes see more epochs than in class-parallel runs.
"""

from __future__ import annotations

from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.independent import class_members
from ganfleet.strategies.member import Member

GLOBAL = "global"
DEFAULT_LOCALS = 5


def local_member_name(n: int) -> str:
    return f"local-{n:02d}"


class SganStrategy(Strategy):
    name = "sgan"
    description = "independent local pairs and a global pair trained from them (SGAN)"
    global_member = GLOBAL

    def __init__(self, n_locals: int = DEFAULT_LOCALS, split_by_class: bool = False) -> None:
        self.n_locals = n_locals
        self.split_by_class = split_by_class

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        everything = tuple(range(dataset.n_classes))
        if self.split_by_class:
            locals_ = class_members(dataset)
        else:
            locals_ = [
                Member(local_member_name(n), label=None, conditional=False, classes=everything)
                for n in range(self.n_locals)
            ]
        return [Member(GLOBAL, label=None, conditional=self.split_by_class, classes=everything), *locals_]

    def budgets(self, budgets: dict[str, int]) -> dict[str, int]:
        """Every pair iterates as long as the local pair that needs most steps (Algorithm 1)."""
        budget = max(steps for name, steps in budgets.items() if name != GLOBAL)
        return {name: budget for name in budgets}
