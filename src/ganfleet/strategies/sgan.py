"""SGAN (Chavdarova & Fleuret, 2018): independent local pairs and a global pair trained from them.

Members: the global pair (G_0, D_0), named `global`, then N local pairs.
Locals train exactly as independent pairs (`adversarial_step`, their own seeds
and data); every iteration the global pair then takes one step (Algorithm 1,
see `sgan_global.py`) and never writes to a local pair, so the locals are
bit-identical with and without it.

- `--locals N`: N local pairs `local-00`... on all data, an unconditional
  global pair; sampling a fleet defaults to G_0 (listed first).
- `--split-by-class`: one local pair per class, named and seeded as the
  class-parallel strategy's (`class-0000`...), so they equal a class-parallel
  run's pairs; the global pair is conditional: label k is trained against class
  k's messenger. Sampling defaults to the class-parallel locals (routed by
  label); `member="global"` gives the one compact conditional generator.
- `--share-weights`: the locals share their data-side layers (`weight_sharing.py`).

All pairs iterate together (Algorithm 1): every pair's budget is that of the
local pair that needs most steps, so with an epoch budget and classes of
different sizes the small classes see more epochs than in class-parallel runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ganfleet.config import TrainConfig
from ganfleet.data.dataset import ClassPartitionedDataset
from ganfleet.strategies.base import Strategy
from ganfleet.strategies.class_parallel import class_member_name
from ganfleet.strategies.sgan_global import LocalView, accumulate_global_gradients, apply_global_step, make_view
from ganfleet.strategies.weight_sharing import share_local_weights
from ganfleet.train.pair import Member, Pair, StepRule, adversarial_step

GLOBAL = "global"
DEFAULT_LOCALS = 5


def local_member_name(n: int) -> str:
    return f"local-{n:02d}"


def no_reduction(pair: Pair) -> None:
    """One process holds every local pair: its gradient sums are already the totals."""


class SganStrategy(Strategy):
    name = "sgan"
    description = "independent local pairs and a global pair trained from them (SGAN)"

    def __init__(self, n_locals: int = DEFAULT_LOCALS, split_by_class: bool = False,
                 messenger_steps: int | None = None, share_weights: bool = False) -> None:
        self.n_locals = n_locals
        self.split_by_class = split_by_class
        self.messenger_steps = messenger_steps
        self.share_weights = share_weights
        # The seam for distributed SGAN: called on the global pair between
        # accumulating its gradients (sums over the local pairs this process
        # holds) and stepping it. A distributed trainer sets it to an
        # all-reduce (sum) of every G_0 and D_0 gradient over the ranks.
        self.reduce_gradients: Callable[[Pair], None] = no_reduction
        self.global_pair: Pair | None = None
        self.local_pairs: list[Pair] = []
        self.views: list[LocalView] = []
        self.shared_fractions: tuple[float, float] | None = None

    @classmethod
    def from_config(cls, train: TrainConfig) -> SganStrategy:
        return cls(train.locals or DEFAULT_LOCALS, train.split_by_class, train.messenger_steps, train.share_weights)

    def members(self, dataset: ClassPartitionedDataset) -> list[Member]:
        everything = tuple(range(dataset.n_classes))
        if self.split_by_class:
            locals_ = [Member(class_member_name(k), label=k, conditional=False, classes=(k,)) for k in everything]
        else:
            locals_ = [Member(local_member_name(n), label=None, conditional=False, classes=everything) for n in range(self.n_locals)]
        return [Member(GLOBAL, label=None, conditional=self.split_by_class, classes=everything)] + locals_

    def prepare(self, pairs: Sequence[Pair], rule: StepRule) -> None:
        by_name = {p.name: p for p in pairs}
        self.global_pair = by_name[GLOBAL]
        self.local_pairs = [p for p in pairs if p.name != GLOBAL]
        if self.share_weights:
            self.shared_fractions = share_local_weights(self.local_pairs)
        budget = max(p.target_steps for p in self.local_pairs)
        for pair in pairs:
            pair.target_steps = budget
        batch_size = self.local_pairs[0].stream.batch_size
        self.views = [make_view(self.global_pair, local, batch_size) for local in self.local_pairs]

    def step(self, pairs: Sequence[Pair], rule: StepRule) -> dict[str, dict[str, torch.Tensor]]:
        """Each due local pair's ordinary step, then (if due) the global pair's step against all locals."""
        if self.global_pair is None:
            raise RuntimeError("SganStrategy.prepare must be called before step")
        out = {p.name: adversarial_step(p, rule) for p in pairs if p is not self.global_pair}
        if any(p is self.global_pair for p in pairs):
            out[GLOBAL] = self.global_step(rule)
        return out

    def global_step(self, rule: StepRule) -> dict[str, torch.Tensor]:
        """G_0 and D_0 one step each; logged values are means over the local pairs."""
        assert self.global_pair is not None
        messenger_steps = self.messenger_steps or rule.n_critic
        sums = accumulate_global_gradients(self.global_pair, self.views, rule, messenger_steps)
        self.reduce_gradients(self.global_pair)
        apply_global_step(self.global_pair, rule)
        return {key: value / len(self.views) for key, value in sums.items()}
